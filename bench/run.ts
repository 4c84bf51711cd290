// `npm run bench`: every benchmark, one JSON document on stdout (progress on stderr).
// `npm run bench -- --only indexing,duplicates` runs a subset; `--quick` uses smaller sizes
// (10k instead of 100k, fewer runs) for a check that takes minutes rather than most of an hour.
import { parseArgs } from 'node:util';
import { runClustersBench } from './analysis-clusters.ts';
import { runColourQualityBench } from './colour-quality.ts';
import { runClusterQualityBench } from './cluster-quality.ts';
import { runDuplicatesBench } from './analysis-duplicates.ts';
import { runDuplicateQualityBench } from './duplicate-quality.ts';
import { runEmbeddingsBench } from './embeddings.ts';
import { runFacesBench } from './faces.ts';
import { runIndexingBench } from './indexing.ts';
import { runLibraryColoursBench } from './library-colours.ts';
import { runCliStartupBench } from './cli-startup.ts';
import { machine } from './machine.ts';

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean' } } });
const quick = values.quick === true;
const log = (line: string): void => {
  process.stderr.write(line + '\n');
};

const benches: Record<string, () => Promise<unknown>> = {
  indexing: () => runIndexingBench(quick ? { photos: 60, runs: 3, memoryPhotos: 1500 } : {}),
  // SHOEBOX_STARTUP_BASELINE (another checkout's folder) also times its `status`, side by side.
  'cli-startup': () =>
    runCliStartupBench({
      runs: quick ? 5 : 15,
      baseline: process.env.SHOEBOX_STARTUP_BASELINE,
      log,
    }),
  duplicates: () => runDuplicatesBench(quick ? { sizes: [10_000] } : { sizes: [10_000, 100_000] }),
  'duplicate-quality': () => runDuplicateQualityBench({ log }),
  // SHOEBOX_CLUSTER_BASELINE (a git ref) also measures that ref's clustering, side by side.
  'cluster-quality': () =>
    runClusterQualityBench({ baseline: process.env.SHOEBOX_CLUSTER_BASELINE, log }),
  clusters: () => runClustersBench({ layout100k: !quick, runs: quick ? 1 : 3, log }),
  // Before (palette and colour search at SHOEBOX_COLOUR_BASELINE, default the commit before
  // coverage scoring), previous (at SHOEBOX_COLOUR_PREVIOUS, default coverage with a fading
  // weight over 12-colour palettes) and after, side by side.
  'colour-quality': () =>
    runColourQualityBench({
      ...(quick ? { emoji: 200, sprites: 150, artworks: 60, speedN: 30_000 } : {}),
      baseline: process.env.SHOEBOX_COLOUR_BASELINE,
      previous: process.env.SHOEBOX_COLOUR_PREVIOUS,
      log,
    }),
  embeddings: () => runEmbeddingsBench({ modelDir: process.env.SHOEBOX_CLIP_MODEL_DIR }),
  'library-colours': async () => runLibraryColoursBench(quick ? { sizes: [10_000], runs: 3 } : {}),
  faces: () => runFacesBench(quick ? { photos: 30, runs: 1, log } : { log }),
  // Loaded only when chosen: it brings vite, Playwright and a browser. A git ref in
  // SHOEBOX_MAP_BASELINE also measures the map as it was there, side by side.
  'map-frames': async () =>
    (await import('./map-frames.ts')).runMapFramesBench({
      ...(quick ? { sizes: [10_000], seconds: 2, runs: 1 } : {}),
      baseline: process.env.SHOEBOX_MAP_BASELINE,
      log,
    }),
};

const chosen = values.only
  ? values.only.split(',').map((name) => name.trim())
  : Object.keys(benches);
const unknown = chosen.filter((name) => !(name in benches));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}\n`,
  );
  process.exit(2);
}
const results: Record<string, unknown> = {};
for (const name of chosen) {
  log(`== ${name}`);
  const started = performance.now();
  results[name] = await benches[name]!();
  log(`== ${name} took ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
process.stdout.write(
  JSON.stringify({ machine: machine(), date: new Date().toISOString(), quick, results }, null, 2) +
    '\n',
);
