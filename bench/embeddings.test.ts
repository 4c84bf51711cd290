// Keeps the embeddings benchmark runnable: a very small run on the tiny model.
import { expect, it } from 'vitest';
import { runEmbeddingsBench } from './embeddings.ts';

it('measures throughput and pipeline overhead on the tiny model', async () => {
  const result = await runEmbeddingsBench({
    batchSizes: [1, 8],
    threads: [1],
    runs: 1,
    images: 16,
  });
  expect(result.model.kind).toBe('tiny');
  expect(result.onnxruntime).toMatch(/^\d+\.\d+\.\d+/);
  expect(result.machine.cores).toBeGreaterThan(0);
  expect(result.results.map((r) => [r.threads, r.batchSize])).toEqual([
    [1, 1],
    [1, 8],
  ]);
  for (const row of result.results) {
    expect(row.imagesPerSecond).toBeGreaterThan(0);
    expect(row.inProcessImagesPerSecond).toBeGreaterThan(0);
    expect(row.inferenceMsPerImage).toBeGreaterThan(0);
  }
  expect(result.target.met).toBeNull();
  expect(JSON.parse(JSON.stringify(result))).toEqual(result);
});
