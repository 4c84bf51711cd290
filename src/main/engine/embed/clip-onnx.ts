// CLIP's two encoders as ONNX sessions in this process (the embedding worker process creates
// one). Feeds and fetches follow the Xenova export: pixel_values [N,3,224,224] -> image_embeds
// [N,D]; input_ids int64 [N,77] (plus attention_mask if an export declares one) -> text_embeds.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import {
  readPreprocessorConfig,
  toPixelValues,
  type ClipPreprocessConfig,
} from './clip-preprocess.ts';
import { CLIP_CONTEXT_LENGTH, ClipTokenizer } from './clip-tokenizer.ts';
import { CLIP_INPUT_SIZE, splitRows } from './embedder.ts';

export const DEFAULT_VISION_MODEL = 'onnx/vision_model_quantized.onnx';
export const DEFAULT_TEXT_MODEL = 'onnx/text_model_quantized.onnx';

export interface ClipOnnxOptions {
  modelDir: string;
  /** Paths inside modelDir; default to the Xenova export's quantized encoders. */
  visionModel?: string;
  textModel?: string;
  /** onnxruntime intra-op threads; default: onnxruntime's own choice (all cores). */
  threads?: number;
}

export function onnxRuntimeVersion(): string {
  return ort.env.versions.node ?? ort.env.versions.common;
}

function sessionOptions(threads: number | undefined): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // One inference at a time per process: parallelism comes from the intra-op pool.
    interOpNumThreads: 1,
    ...(threads ? { intraOpNumThreads: threads } : {}),
  };
}

async function createSession(path: string, threads: number | undefined) {
  try {
    return await ort.InferenceSession.create(path, sessionOptions(threads));
  } catch (err) {
    throw new Error(`could not load ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function requireNames(session: ort.InferenceSession, file: string, ins: string[], outs: string[]) {
  const missingIn = ins.filter((n) => !session.inputNames.includes(n));
  const missingOut = outs.filter((n) => !session.outputNames.includes(n));
  if (missingIn.length || missingOut.length) {
    throw new Error(
      `${file} is not a CLIP encoder export: it lacks ${[...missingIn, ...missingOut].join(', ')} ` +
        `(inputs: ${session.inputNames.join(', ')}; outputs: ${session.outputNames.join(', ')})`,
    );
  }
}

async function projectionDim(modelDir: string): Promise<number | null> {
  try {
    const config = JSON.parse(await readFile(join(modelDir, 'config.json'), 'utf8')) as {
      projection_dim?: unknown;
    };
    return typeof config.projection_dim === 'number' ? config.projection_dim : null;
  } catch {
    return null;
  }
}

export class ClipOnnxModel {
  private textParts: Promise<{ session: ort.InferenceSession; tokenizer: ClipTokenizer }> | null =
    null;

  private constructor(
    private readonly options: ClipOnnxOptions,
    private readonly vision: ort.InferenceSession,
    private readonly preprocess: ClipPreprocessConfig,
    /** Known from config.json, or learnt from the first output. */
    private dimension: number | null,
  ) {}

  /** Loads the image encoder now; the text encoder and tokenizer load on the first text. */
  static async load(options: ClipOnnxOptions): Promise<ClipOnnxModel> {
    const file = options.visionModel ?? DEFAULT_VISION_MODEL;
    const [preprocess, vision, dim] = await Promise.all([
      readPreprocessorConfig(options.modelDir),
      createSession(join(options.modelDir, file), options.threads),
      projectionDim(options.modelDir),
    ]);
    requireNames(vision, file, ['pixel_values'], ['image_embeds']);
    return new ClipOnnxModel(options, vision, preprocess, dim);
  }

  get dim(): number | null {
    return this.dimension;
  }

  private rows(tensor: ort.Tensor | undefined, n: number, name: string): Float32Array[] {
    if (!tensor || !(tensor.data instanceof Float32Array) || tensor.dims.length !== 2) {
      throw new Error(`model output ${name} is not a float32 [N, D] tensor`);
    }
    const d = tensor.dims[1]!;
    if (this.dimension !== null && d !== this.dimension) {
      throw new Error(
        `model output ${name} has ${d} dimensions; config.json says ${this.dimension}`,
      );
    }
    this.dimension = d;
    return splitRows(tensor.data, n, d);
  }

  async embedImages(inputs: Uint8Array[]): Promise<Float32Array[]> {
    if (inputs.length === 0) return [];
    const pixels = toPixelValues(inputs, this.preprocess);
    const feeds = {
      pixel_values: new ort.Tensor('float32', pixels, [
        inputs.length,
        3,
        CLIP_INPUT_SIZE,
        CLIP_INPUT_SIZE,
      ]),
    };
    const out = await this.vision.run(feeds, ['image_embeds']);
    return this.rows(out.image_embeds, inputs.length, 'image_embeds');
  }

  /** Loads the text encoder and tokenizer now (they load on first use otherwise). */
  async prepareText(): Promise<void> {
    await this.loadText();
  }

  private loadText() {
    this.textParts ??= (async () => {
      const file = this.options.textModel ?? DEFAULT_TEXT_MODEL;
      const [session, tokenizer] = await Promise.all([
        createSession(join(this.options.modelDir, file), this.options.threads),
        ClipTokenizer.load(this.options.modelDir),
      ]);
      requireNames(session, file, ['input_ids'], ['text_embeds']);
      return { session, tokenizer };
    })();
    // A failed load is not cached: the next text request tries again.
    this.textParts.catch(() => (this.textParts = null));
    return this.textParts;
  }

  async embedText(texts: string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const { session, tokenizer } = await this.loadText();
    const tokens = tokenizer.encode(texts);
    const dims = [tokens.count, CLIP_CONTEXT_LENGTH];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', tokens.inputIds, dims),
    };
    if (session.inputNames.includes('attention_mask')) {
      feeds.attention_mask = new ort.Tensor('int64', tokens.attentionMask, dims);
    }
    const out = await session.run(feeds, ['text_embeds']);
    return this.rows(out.text_embeds, tokens.count, 'text_embeds');
  }

  async release(): Promise<void> {
    const text = this.textParts;
    this.textParts = null;
    await this.vision.release();
    if (text) await (await text.catch(() => null))?.session.release();
  }
}
