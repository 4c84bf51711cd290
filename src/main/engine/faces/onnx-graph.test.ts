// Reading face-api's TensorFlow.js weight files: a small file written here in the same format
// (a manifest, two .bin shards, a quantized filter, plain floats, an integer tensor between
// them) must read back to the values TensorFlow.js would compute, and a filter must come out in
// ONNX's layout when the model is written.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeights, toOnnxFilter, weightOf } from './onnx-graph.ts';

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
  // Split inside the integer tensor: shards are one byte stream.
  await writeFile(join(dir, 'net-shard1'), bytes.subarray(0, 14));
  await writeFile(join(dir, 'net-shard2'), bytes.subarray(14));
  const manifest = [
    {
      paths: ['net-shard1', 'net-shard2'],
      weights: [
        { name: 'filter', shape: [1, 2, 2, 3], dtype: 'float32', quantization: QUANTIZATION },
        { name: 'shape', shape: [2], dtype: 'int32' },
        { name: 'bias', shape: [3], dtype: 'float32' },
      ],
    },
  ];
  await writeFile(join(dir, 'net-weights_manifest.json'), JSON.stringify(manifest));
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
