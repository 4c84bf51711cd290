// The replacement Concat against the WebAssembly backend's own kernel, on the real backend.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadScreening } from './detector.ts';
import { NARROW_ROW, wasmConcatInstalled, type KernelRegistry } from './wasm-concat.ts';

interface Tensor {
  shape: number[];
  dataSync(): ArrayLike<number>;
  dispose(): void;
}
interface Tf extends KernelRegistry {
  getBackend(): string;
  tensor(values: ArrayLike<number>, shape: number[], dtype: string): Tensor;
  concat(tensors: Tensor[], axis: number): Tensor;
}

let tf: Tf;

beforeAll(async () => {
  await loadScreening();
  // The one TensorFlow.js core face-api and the wasm backend share.
  tf = createRequire(import.meta.url)('@tensorflow/tfjs-core') as Tf;
});

/** Concatenates with the kernel now registered; values and shape. */
function concat(parts: { shape: number[]; dtype: string }[], axis: number) {
  let seed = 1;
  const tensors = parts.map(({ shape, dtype }) => {
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      seed = (seed * 48271) % 2147483647;
      return dtype === 'bool' ? seed % 2 : dtype === 'int32' ? (seed % 2001) - 1000 : seed / 1e6;
    });
    return tf.tensor(values, shape, dtype);
  });
  const joined = tf.concat(tensors, axis);
  const result = { shape: joined.shape, values: Array.from(joined.dataSync()) };
  for (const t of [...tensors, joined]) t.dispose();
  return result;
}

/** The same concatenation done by hand, row by row: the definition of concat. */
function expected(parts: { shape: number[]; dtype: string }[], axis: number) {
  let seed = 1;
  const arrays = parts.map(({ shape, dtype }) =>
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
      seed = (seed * 48271) % 2147483647;
      const v = dtype === 'bool' ? seed % 2 : dtype === 'int32' ? (seed % 2001) - 1000 : seed / 1e6;
      return dtype === 'float32' ? Math.fround(v) : v;
    }),
  );
  const rank = parts[0]!.shape.length;
  const at = axis < 0 ? axis + rank : axis;
  const outer = parts[0]!.shape.slice(0, at).reduce((a, b) => a * b, 1);
  const rows = parts.map((p) => p.shape.slice(at).reduce((a, b) => a * b, 1));
  const values: number[] = [];
  for (let o = 0; o < outer; o++)
    arrays.forEach((array, i) => values.push(...array.slice(o * rows[i]!, (o + 1) * rows[i]!)));
  const shape = [...parts[0]!.shape];
  shape[at] = parts.reduce((sum, p) => sum + p.shape[at]!, 0);
  return { shape, values };
}

describe('Concat on the WebAssembly backend', () => {
  it('is replaced once the face models load', () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(wasmConcatInstalled(tf)).toBe(true);
  });

  const cases: [string, { shape: number[]; dtype: string }[], number][] = [
    [
      'the detector’s mean planes',
      [
        { shape: [1, 16, 16, 1], dtype: 'float32' },
        { shape: [1, 16, 16, 1], dtype: 'float32' },
        { shape: [1, 16, 16, 1], dtype: 'float32' },
      ],
      3,
    ],
    [
      'the last axis as -1',
      [
        { shape: [2, 3, 2], dtype: 'float32' },
        { shape: [2, 3, 1], dtype: 'float32' },
      ],
      -1,
    ],
    [
      'a middle axis',
      [
        { shape: [2, 3, 4], dtype: 'int32' },
        { shape: [2, 1, 4], dtype: 'int32' },
      ],
      1,
    ],
    [
      'the first axis',
      [
        { shape: [1, 5], dtype: 'int32' },
        { shape: [2, 5], dtype: 'int32' },
      ],
      0,
    ],
    [
      'booleans',
      [
        { shape: [4, 1], dtype: 'bool' },
        { shape: [4, 2], dtype: 'bool' },
      ],
      1,
    ],
    [
      'an empty part among others',
      [
        { shape: [3, 0], dtype: 'float32' },
        { shape: [3, 2], dtype: 'float32' },
        { shape: [3, 1], dtype: 'float32' },
      ],
      1,
    ],
    [
      'rows too wide for the fast path (left to the backend)',
      [
        { shape: [2, NARROW_ROW + 1], dtype: 'float32' },
        { shape: [2, 3], dtype: 'float32' },
      ],
      1,
    ],
  ];
  it.each(cases)('joins %s value for value', (_name, parts, axis) => {
    const result = concat(parts, axis);
    const want = expected(parts, axis);
    expect(result.shape).toEqual(want.shape);
    expect(result.values).toEqual(want.values);
  });
});
