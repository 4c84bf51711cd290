// The one interface every embedding model sits behind: the built-in fingerprint and CLIP alike.
// Indexing, duplicates, neighbours and search only ever see an Embedder.

/** Side of the square RGB crop every embedder receives (CLIP's input size). */
export const CLIP_INPUT_SIZE = 224;
/** Bytes in one input: 224 x 224 pixels x RGB, row-major HWC, the layout sharp's raw output has. */
export const CLIP_INPUT_BYTES = CLIP_INPUT_SIZE * CLIP_INPUT_SIZE * 3;

export interface Embedder {
  /** Stored with every embedding it produces, so a model change recomputes only embeddings. */
  readonly id: string;
  readonly dim: number;
  /**
   * One L2-normalised vector per input. Each input is 224x224x3 RGB HWC bytes, already resized
   * (shortest edge 224, bicubic) and centre-cropped from the photo's single decode.
   */
  embedImages(inputs: Uint8Array[]): Promise<Float32Array[]>;
  /** Present only on models with a text encoder (CLIP); one L2-normalised vector per text. */
  embedText?(texts: string[]): Promise<Float32Array[]>;
}

/** Normalises in place to unit length and returns the same array; a zero vector stays zero. */
export function l2Normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  if (sum > 0) {
    const inv = 1 / Math.sqrt(sum);
    for (let i = 0; i < v.length; i++) v[i]! *= inv;
  }
  return v;
}

/** Splits a row-major [n, dim] output into n normalised vectors (copies, so rows can be kept). */
export function splitRows(data: Float32Array, n: number, dim: number): Float32Array[] {
  if (data.length !== n * dim) {
    throw new Error(`model returned ${data.length} values, expected ${n} x ${dim}`);
  }
  const rows: Float32Array[] = [];
  for (let i = 0; i < n; i++) rows.push(l2Normalise(data.slice(i * dim, (i + 1) * dim)));
  return rows;
}

export function checkImageInputs(inputs: Uint8Array[]): void {
  inputs.forEach((input, i) => {
    if (input.byteLength !== CLIP_INPUT_BYTES) {
      throw new Error(
        `image input ${i} has ${input.byteLength} bytes; expected ${CLIP_INPUT_BYTES} (224x224 RGB)`,
      );
    }
  });
}

/**
 * Wraps the foundation's training-free visual fingerprint as an Embedder, so the rest of the
 * engine treats "no model installed" as just another model. `compute` is the features module's
 * fingerprint function over the same 224x224 RGB crop; its output is normalised here.
 */
export function fingerprintEmbedder(options: {
  id: string;
  dim: number;
  compute: (input: Uint8Array) => Float32Array;
}): Embedder {
  const { id, dim, compute } = options;
  return {
    id,
    dim,
    embedImages(inputs) {
      checkImageInputs(inputs);
      return Promise.resolve(
        inputs.map((input) => {
          const v = compute(input);
          if (v.length !== dim) throw new Error(`fingerprint has ${v.length} values, not ${dim}`);
          return l2Normalise(Float32Array.from(v));
        }),
      );
    },
  };
}
