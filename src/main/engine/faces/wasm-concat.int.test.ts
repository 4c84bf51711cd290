// The replacement Concat against the WebAssembly backend's own kernel, on the real backend.
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../shared/seeded-random.ts';
import { loadTensorFlow } from './detector.ts';
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
  await loadTensorFlow();
  // The one TensorFlow.js core face-api and the wasm backend share.
  tf = createRequire(import.meta.url)('@tensorflow/tfjs-core') as Tf;
});

type Part = { shape: number[]; dtype: string };
const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Seeded values for each part, as its tensor holds them (floats rounded to float32). */
function valuesOf(parts: Part[]): number[][] {
  const random = mulberry32(1);
  return parts.map(({ shape, dtype }) =>
    Array.from({ length: sizeOf(shape) }, () => {
      const r = random();
      if (dtype === 'bool') return r < 0.5 ? 0 : 1;
      if (dtype === 'int32') return Math.floor(r * 2001) - 1000;
      return Math.fround(r * 1000);
    }),
  );
}

/** Concatenates with the kernel now registered; values and shape. */
function concat(parts: Part[], axis: number) {
  const values = valuesOf(parts);
  const tensors = parts.map(({ shape, dtype }, i) => tf.tensor(values[i]!, shape, dtype));
  const joined = tf.concat(tensors, axis);
  const result = { shape: joined.shape, values: Array.from(joined.dataSync()) };
  for (const t of [...tensors, joined]) t.dispose();
  return result;
}

/** The same concatenation done by hand, row by row: the definition of concat. */
function expected(parts: Part[], axis: number) {
  const arrays = valuesOf(parts);
  const rank = parts[0]!.shape.length;
  const at = axis < 0 ? axis + rank : axis;
  const outer = sizeOf(parts[0]!.shape.slice(0, at));
  const rows = parts.map((p) => sizeOf(p.shape.slice(at)));
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

  const cases: [string, Part[], number][] = [
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
