// CLIP's pixel preprocessing after the resize and crop (which the features step does once, from
// the single decode): rescale by 1/255, normalise by the model's mean and std, HWC -> NCHW.
// The numbers come from the model's own preprocessor_config.json, never from constants here.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLIP_INPUT_BYTES, CLIP_INPUT_SIZE, checkImageInputs } from './embedder.ts';

export interface ClipPreprocessConfig {
  rescale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

function triple(value: unknown, name: string): [number, number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    !value.every((x) => typeof x === 'number' && Number.isFinite(x))
  ) {
    throw new Error(`preprocessor_config.json: ${name} must be three numbers`);
  }
  return [value[0], value[1], value[2]] as [number, number, number];
}

function dimension(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    const n = v.shortest_edge ?? v.height;
    if (typeof n === 'number' && (v.width === undefined || v.width === n)) return n;
  }
  return undefined;
}

/**
 * Reads the values Shoebox applies and rejects a model whose config asks for a resize or crop
 * other than the shortest-edge-224 bicubic centre crop the features step produces: feeding such
 * a model our crop would give silently wrong embeddings.
 */
export function parsePreprocessorConfig(json: unknown): ClipPreprocessConfig {
  if (!json || typeof json !== 'object')
    throw new Error('preprocessor_config.json is not an object');
  const c = json as Record<string, unknown>;
  const size = dimension(c.size);
  const crop = dimension(c.crop_size);
  if (size !== CLIP_INPUT_SIZE || (c.do_center_crop !== false && crop !== CLIP_INPUT_SIZE)) {
    throw new Error(
      `preprocessor_config.json asks for size ${String(size)} / crop ${String(crop)}; ` +
        `Shoebox supplies a ${CLIP_INPUT_SIZE}x${CLIP_INPUT_SIZE} centre crop`,
    );
  }
  if (c.resample !== undefined && c.resample !== 3) {
    throw new Error(
      `preprocessor_config.json asks for resample ${String(c.resample)}, not bicubic (3)`,
    );
  }
  const rescale =
    c.do_rescale === false ? 1 : typeof c.rescale_factor === 'number' ? c.rescale_factor : 1 / 255;
  const normalise = c.do_normalize !== false;
  return {
    rescale,
    mean: normalise ? triple(c.image_mean, 'image_mean') : [0, 0, 0],
    std: normalise ? triple(c.image_std, 'image_std') : [1, 1, 1],
  };
}

export async function readPreprocessorConfig(modelDir: string): Promise<ClipPreprocessConfig> {
  const text = await readFile(join(modelDir, 'preprocessor_config.json'), 'utf8');
  return parsePreprocessorConfig(JSON.parse(text));
}

/** Per channel, the float each of the 256 byte values becomes: (v * rescale - mean) / std. */
function lookupTables(cfg: ClipPreprocessConfig): Float32Array[] {
  return [0, 1, 2].map((c) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v * cfg.rescale - cfg.mean[c]!) / cfg.std[c]!;
    return table;
  });
}

/** Packs 224x224x3 RGB HWC inputs into one float32 NCHW tensor body of shape [n, 3, 224, 224]. */
export function toPixelValues(inputs: Uint8Array[], cfg: ClipPreprocessConfig): Float32Array {
  checkImageInputs(inputs);
  const plane = CLIP_INPUT_SIZE * CLIP_INPUT_SIZE;
  const [r, g, b] = lookupTables(cfg) as [Float32Array, Float32Array, Float32Array];
  const out = new Float32Array(inputs.length * CLIP_INPUT_BYTES);
  inputs.forEach((input, n) => {
    const base = n * 3 * plane;
    for (let p = 0, i = 0; p < plane; p++, i += 3) {
      out[base + p] = r[input[i]!]!;
      out[base + plane + p] = g[input[i + 1]!]!;
      out[base + 2 * plane + p] = b[input[i + 2]!]!;
    }
  });
  return out;
}
