// The face graphs' cache: a graph is built and optimised once per machine, then opened from what
// ONNX Runtime saved, and the saved graph must compute exactly what a freshly built one does. A
// damaged entry is rebuilt, a cache that cannot be written still gives a working session, two
// savers at once leave one entry, and an entry of an older graph version is removed. Each
// recipe's version is pinned to its graph's hash, so a changed graph cannot reuse old entries.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { WorkingImage } from '../features/pixels.ts';
import { type GraphRecipe, openGraph } from './graph-cache.ts';
import { modelDir } from './model-files.ts';
import { photoFeeds, readWeights } from './onnx-graph.ts';
import { SCREENING_RECIPE } from './screening.ts';
import { SSD_RECIPE } from './ssd.ts';

/**
 * The graph each recipe version builds. A test failing here means the graph changed: bump the
 * recipe's version (so no machine opens a cache entry of the old graph) and pin the new hash.
 */
const PINNED: Record<string, { version: number; sha256: string }> = {
  'face-screening': {
    version: 1,
    sha256: 'c11ff703e8c0b2d3c0cd9bb8709f22e5dc9b345dfd046190e0e60d1dfc4ab439',
  },
  'face-ssd': {
    version: 1,
    sha256: '2064bacb75f5b816ea8c1d60d24afbbf91103c2faf7da095c95f0646f26c904f',
  },
};

let photo: WorkingImage;
/** The screening grid of `photo` from a session on the freshly built graph, not cached. */
let fresh: Float32Array;
let cacheDir = '';
let builds = 0;
/** The screening recipe, counting its builds. */
const counted = (version = SCREENING_RECIPE.version): GraphRecipe => ({
  ...SCREENING_RECIPE,
  version,
  build: (weights) => {
    builds += 1;
    return SCREENING_RECIPE.build(weights);
  },
});

async function gridOf(session: ort.InferenceSession): Promise<Float32Array> {
  const { grid } = await session.run(photoFeeds(photo));
  return grid!.data as Float32Array;
}

async function entries(): Promise<string[]> {
  return (await readdir(cacheDir)).sort();
}

beforeAll(async () => {
  const samples = join(
    dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
    'demo',
  );
  const { data, info } = await sharp(join(samples, 'sample1.jpg'))
    .resize(384, 384, { fit: 'inside' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  photo = { data, width: info.width, height: info.height, channels: 3 };
  const weights = await readWeights(modelDir(), SCREENING_RECIPE.weightsFile);
  const session = await ort.InferenceSession.create(SCREENING_RECIPE.build(weights), {
    graphOptimizationLevel: 'all',
  });
  fresh = await gridOf(session);
});

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'shoebox-graph-cache-'));
  builds = 0;
});

afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe('openGraph', () => {
  it('builds a graph once, then opens what ONNX Runtime saved, computing the same', async () => {
    expect(await gridOf(await openGraph(counted(), cacheDir))).toEqual(fresh);
    expect(builds).toBe(1);
    const [entry, ...others] = await entries();
    expect(others).toEqual([]);
    expect(entry).toMatch(/^face-screening-[0-9a-f]{20}$/);
    expect((await readdir(join(cacheDir, entry!))).sort()).toEqual(['model.onnx', 'weights.bin']);

    expect(await gridOf(await openGraph(counted(), cacheDir))).toEqual(fresh);
    expect(builds).toBe(1);
  });

  it('builds a damaged entry again', async () => {
    await openGraph(counted(), cacheDir);
    const [entry] = await entries();
    const weightsFile = join(cacheDir, entry!, 'weights.bin');
    const { size } = await stat(weightsFile);
    await truncate(weightsFile, Math.floor(size / 2));
    expect(await gridOf(await openGraph(counted(), cacheDir))).toEqual(fresh);
    expect(builds).toBe(2);
    expect((await stat(weightsFile)).size).toBe(size);

    await writeFile(join(cacheDir, entry!, 'model.onnx'), 'not a model');
    expect(await gridOf(await openGraph(counted(), cacheDir))).toEqual(fresh);
    expect(builds).toBe(3);
    expect(await gridOf(await openGraph(counted(), cacheDir))).toEqual(fresh);
    expect(builds).toBe(3);
  });

  it('still opens the graph when the cache cannot be written', async () => {
    const blocked = join(cacheDir, 'a file, not a folder');
    await writeFile(blocked, '');
    expect(await gridOf(await openGraph(counted(), blocked))).toEqual(fresh);
    expect(await gridOf(await openGraph(counted(), blocked))).toEqual(fresh);
    expect(builds).toBe(2);
  });

  it('leaves one entry and nothing half-saved when two save at once', async () => {
    const sessions = await Promise.all([1, 2, 3].map(() => openGraph(counted(), cacheDir)));
    for (const session of sessions) expect(await gridOf(session)).toEqual(fresh);
    expect(await entries()).toHaveLength(1);
    await openGraph(counted(), cacheDir);
    expect(builds).toBe(3);
  });

  it('removes the entry of an older version when it saves a newer one', async () => {
    await openGraph(counted(1), cacheDir);
    const [old] = await entries();
    await openGraph(counted(2), cacheDir);
    const now = await entries();
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(old);
  });
});

describe('recipe versions', () => {
  it.each([SCREENING_RECIPE, SSD_RECIPE])(
    '$name builds the graph its version is pinned to',
    async (recipe) => {
      const graph = recipe.build(await readWeights(modelDir(), recipe.weightsFile));
      const sha256 = createHash('sha256').update(graph).digest('hex');
      expect({ version: recipe.version, sha256 }).toEqual(PINNED[recipe.name]);
    },
  );
});
