// Messages between EmbeddingService (parent) and the embedding worker process. Bulk data travels
// as one packed typed array per batch (structured clone via `serialization: 'advanced'`).

export interface WorkerOptions {
  modelDir: string;
  visionModel?: string;
  textModel?: string;
  threads: number;
}

export type ToWorker =
  | {
      type: 'embed';
      id: number;
      kind: 'image';
      /** count x 224*224*3 RGB bytes, back to back. */
      pixels: Uint8Array;
      count: number;
    }
  | { type: 'embed'; id: number; kind: 'text'; texts: string[]; count: number }
  | { type: 'shutdown' };

export type FromWorker =
  | { type: 'loaded'; dim: number | null; loadMs: number }
  | {
      type: 'result';
      id: number;
      /** count x dim, each row L2-normalised. */
      vectors: Float32Array;
      dim: number;
      inferenceMs: number;
    }
  /** `fatal`: the model itself cannot be used (failed to load), not just this batch. */
  | { type: 'error'; id: number | null; message: string; fatal: boolean };
