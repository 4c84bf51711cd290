import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateTinyClip,
  solidImage,
  TINY_COLOURS,
} from '../../../../test/fixtures/tiny-clip/generate.ts';
import { fingerprintEmbedder, l2Normalise } from './embedder.ts';
import { EmbeddingService } from './embedding-service.ts';
import { importModel, resolveActiveModel } from './model-store.ts';
import { NoTextModelError, searchByText, topKByVector, type EmbeddingSet } from './text-search.ts';

function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 2 ** 32 - 0.5;
  };
}

function randomSet(n: number, dim: number, seed: number): EmbeddingSet {
  const rand = seeded(seed);
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const row = vectors.subarray(i * dim, (i + 1) * dim);
    for (let j = 0; j < dim; j++) row[j] = rand();
    l2Normalise(row);
  }
  return { ids: Array.from({ length: n }, (_, i) => 1000 + i), vectors, dim };
}

describe('topKByVector', () => {
  it('returns the same top k as a full sort, best first', () => {
    const set = randomSet(500, 16, 7);
    const query = set.vectors.slice(3 * 16, 4 * 16);
    const all = Array.from(set.ids, (id, row) => {
      let s = 0;
      for (let j = 0; j < 16; j++) s += query[j]! * set.vectors[row * 16 + j]!;
      return { id, score: s };
    }).sort((a, b) => b.score - a.score);
    const top = topKByVector(query, set, 10);
    expect(top.map((r) => r.id)).toEqual(all.slice(0, 10).map((r) => r.id));
    expect(top[0]!.id).toBe(1003);
    expect(top[0]!.score).toBeCloseTo(1, 5);
    expect(topKByVector(query, set, 0)).toEqual([]);
    expect(topKByVector(query, set, 10_000)).toHaveLength(500);
    expect(() => topKByVector(new Float32Array(8), set, 3)).toThrow(/8 dimensions/);
  });
});

describe('searchByText', () => {
  it('without a text model fails with the one-sentence reason', async () => {
    const set = randomSet(3, 8, 1);
    const fingerprint = fingerprintEmbedder({
      id: 'fingerprint',
      dim: 8,
      compute: () => new Float32Array(8).fill(1),
    });
    await expect(searchByText('a cat', set, null, 5)).rejects.toThrow(NoTextModelError);
    const err = (await searchByText('a cat', set, fingerprint, 5).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(NoTextModelError);
    expect(err.message).toBe(
      'Text search needs a CLIP model and the active model is fingerprint; install one with `shoebox models fetch clip-vit-b32` (or `shoebox models import <dir>` offline).',
    );
  });

  describe('through the embedding process with the tiny CLIP model', () => {
    let service: EmbeddingService;
    let set: EmbeddingSet;
    const names = Object.keys(TINY_COLOURS);
    let library: string;
    beforeAll(async () => {
      // The way the app gets there: import into a library, resolve the active model, serve it.
      const tiny = await generateTinyClip();
      library = await mkdtemp(join(tmpdir(), 'shoebox-search-'));
      const manifests = new Map([[tiny.manifest.id, tiny.manifest]]);
      await importModel(tiny.dir, library, { manifests, id: tiny.manifest.id });
      const active = await resolveActiveModel(library, { manifests });
      if (!active.model) throw new Error('the imported model is not active');
      service = EmbeddingService.forModel(active.model, { threads: 1 });
      const vectors = await service.embedImages(
        names.map((n) => solidImage(...(TINY_COLOURS[n] as [number, number, number]))),
      );
      set = {
        ids: names.map((_, i) => i + 1),
        vectors: Float32Array.from(vectors.flatMap((v) => Array.from(v))),
        dim: 512,
        modelId: 'tiny-clip',
      };
    });
    afterAll(async () => {
      await service.close();
      await rm(library, { recursive: true, force: true });
    });

    it('ranks the photo the text describes first, with cosine scores', async () => {
      for (const [i, name] of names.entries()) {
        const results = await searchByText(`a photo of a ${name} beach`, set, service, 3);
        expect(results).toHaveLength(3);
        expect(results[0]!.id).toBe(i + 1);
        expect(results[0]!.score).toBeGreaterThan(0.95);
        expect(results[0]!.score).toBeLessThanOrEqual(1);
        expect(results[1]!.score).toBeLessThanOrEqual(results[0]!.score);
      }
    });

    it('refuses embeddings made by another model or an empty query', async () => {
      await expect(searchByText('red', { ...set, modelId: 'other' }, service, 3)).rejects.toThrow(
        /made by other, not the text model tiny-clip/,
      );
      await expect(searchByText('  ', set, service, 3)).rejects.toThrow(/empty/);
    });
  });
});
