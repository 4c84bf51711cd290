// CLIP's byte-level BPE tokenizer, run by @huggingface/transformers from the model folder only
// (remote loading off: Shoebox never downloads behind the user's back). Texts become int64 ids,
// <|startoftext|> ... <|endoftext|>, padded with <|endoftext|> and truncated to CLIP's 77.
import { basename, dirname, resolve } from 'node:path';

export const CLIP_CONTEXT_LENGTH = 77;

export interface ClipTokens {
  /** Row-major [count, 77]. */
  inputIds: BigInt64Array;
  /** 1 for real tokens, 0 for padding; fed only to exports that declare an attention_mask input. */
  attentionMask: BigInt64Array;
  count: number;
}

interface LoadedTokenizer {
  encode(text: string): number[];
  eos_token_id?: number | null;
  pad_token_id?: number | null;
}

export class ClipTokenizer {
  private constructor(
    private readonly tokenizer: LoadedTokenizer,
    private readonly eos: number,
    private readonly pad: number,
  ) {}

  /** Loads tokenizer.json + tokenizer_config.json from `modelDir`; never touches the network. */
  static async load(modelDir: string): Promise<ClipTokenizer> {
    const { AutoTokenizer, env } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    const dir = resolve(modelDir);
    env.localModelPath = `${dirname(dir)}/`;
    const loaded = await AutoTokenizer.from_pretrained(basename(dir), { local_files_only: true });
    const tokenizer = loaded as unknown as LoadedTokenizer;
    const eos = tokenizer.eos_token_id;
    if (typeof eos !== 'number') throw new Error('tokenizer has no <|endoftext|> token');
    return new ClipTokenizer(tokenizer, eos, tokenizer.pad_token_id ?? eos);
  }

  /** Token ids of one text with its special tokens, before padding or truncation. */
  ids(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  encode(texts: string[]): ClipTokens {
    const n = texts.length;
    const inputIds = new BigInt64Array(n * CLIP_CONTEXT_LENGTH).fill(BigInt(this.pad));
    const attentionMask = new BigInt64Array(n * CLIP_CONTEXT_LENGTH);
    texts.forEach((text, row) => {
      const ids = this.tokenizer.encode(text);
      // Truncate like CLIP's own tokenize(truncate=True): keep the first 76 and end with
      // <|endoftext|>, because the text encoder pools at the first end-of-text token. (The
      // library's truncation option cuts the end token off, which would pool at the wrong place.)
      if (ids.length > CLIP_CONTEXT_LENGTH) {
        ids.length = CLIP_CONTEXT_LENGTH;
        ids[CLIP_CONTEXT_LENGTH - 1] = this.eos;
      }
      const base = row * CLIP_CONTEXT_LENGTH;
      ids.forEach((id, i) => {
        inputIds[base + i] = BigInt(id);
        attentionMask[base + i] = 1n;
      });
    });
    return { inputIds, attentionMask, count: n };
  }
}
