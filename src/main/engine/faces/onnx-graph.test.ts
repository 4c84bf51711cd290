// Reading face-api's TensorFlow.js weight files: a small file written here in the same format
// (a manifest, two .bin shards, a quantized filter, plain floats, an integer tensor between
// them) must read back to the values TensorFlow.js would compute, whole or one tensor at a time,
// and a filter must come out in ONNX's layout when the model is written.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeight, readWeights, toOnnxFilter, weightOf } from './onnx-graph.ts';

let dir = '';
const QUANTIZATION = { dtype: 'uint8', scale: 0.5, min: -3 };
/** A 1x2x2x3 filter ([height, width, in, out]) stored as bytes 0..11. */
const FILTER_BYTES = Uint8Array.from({ length: 12 }, (_, i) => i);
const BIAS = Float32Array.of(0.25, -1.5, 1e-7);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoebox-weights-'));
  const bytes = Buffer.concat([
    Buffer.from(FILTER_BYTES),
    Buffer.from(Int32Array.of(7, 8).buffer),
    Buffer.from(BIAS.buffer),
  ]);
  const weights = [
    { name: 'filter', shape: [1, 2, 2, 3], dtype: 'float32', quantization: QUANTIZATION },
    { name: 'shape', shape: [2], dtype: 'int32' },
    { name: 'bias', shape: [3], dtype: 'float32' },
  ];
  // Shards are one byte stream: 'net' is split inside the integer tensor, 'split' inside the
  // bias, so that one tensor's bytes come from two files.
  for (const [name, at] of [
    ['net', 14],
    ['split', 26],
  ] as const) {
    await writeFile(join(dir, `${name}-shard1`), bytes.subarray(0, at));
    await writeFile(join(dir, `${name}-shard2`), bytes.subarray(at));
    const manifest = [{ paths: [`${name}-shard1`, `${name}-shard2`], weights }];
    await writeFile(join(dir, `${name}-weights_manifest.json`), JSON.stringify(manifest));
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readWeights', () => {
  it('dequantizes as TensorFlow.js does and reads plain floats as stored', async () => {
    const weights = await readWeights(dir, 'net');
    expect([...weights.keys()].sort()).toEqual(['bias', 'filter']);
    expect(Array.from(weightOf(weights, 'filter').values())).toEqual(
      Array.from(FILTER_BYTES, (b) => -3 + 0.5 * b),
    );
    expect(weightOf(weights, 'bias').values()).toEqual(BIAS);
    expect(() => weightOf(weights, 'missing')).toThrow('The face model weights lack missing.');
  });

  it('writes a filter in ONNX order: [out, in, height, width]', async () => {
    const filter = weightOf(await readWeights(dir, 'net'), 'filter');
    const onnx = toOnnxFilter(filter, [1, 2, 2, 3]);
    const out = new Float32Array(onnx.length);
    onnx.write(out);
    const tf = filter.values();
    for (let o = 0; o < 3; o++)
      for (let i = 0; i < 2; i++)
        for (let x = 0; x < 2; x++) expect(out[(o * 2 + i) * 2 + x]).toBe(tf[(x * 2 + i) * 3 + o]);
  });

  it('reads one tensor as the whole file would give it, across shards too', async () => {
    for (const file of ['net', 'split']) {
      const whole = await readWeights(dir, file);
      for (const name of ['filter', 'bias']) {
        expect((await readWeight(dir, file, name)).values()).toEqual(
          weightOf(whole, name).values(),
        );
      }
    }
    expect((await readWeight(dir, 'split', 'bias')).values()).toEqual(BIAS);
    await expect(readWeight(dir, 'net', 'shape')).rejects.toThrow(
      'The face model weights lack shape.',
    );
  });

  it('says so when a shard ends before the tensor does', async () => {
    await writeFile(join(dir, 'short-shard1'), Buffer.alloc(20));
    const manifest = [
      {
        paths: ['short-shard1'],
        weights: [{ name: 'bias', shape: [8], dtype: 'float32' }],
      },
    ];
    await writeFile(join(dir, 'short-weights_manifest.json'), JSON.stringify(manifest));
    await expect(readWeight(dir, 'short', 'bias')).rejects.toThrow(
      'The face model weights end before bias does.',
    );
  });

  it('names the tensor whose storage it does not know', async () => {
    const odd = [
      { paths: ['net-shard1'], weights: [{ name: 'f16', shape: [2], dtype: 'float16' }] },
    ];
    await writeFile(join(dir, 'odd-weights_manifest.json'), JSON.stringify(odd));
    await expect(readWeights(dir, 'odd')).rejects.toThrow(
      'The face model weights use an unknown storage (f16).',
    );
  });
});
