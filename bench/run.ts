// `npm run bench`: every benchmark, one JSON document on stdout (progress on stderr).
// `npm run bench -- --only indexing,duplicates` runs a subset; `--quick` uses smaller sizes
// (10k instead of 100k, fewer runs) for a check that takes minutes rather than most of an hour.
import { parseArgs } from 'node:util';
import { runClustersBench } from './analysis-clusters.ts';
import { runDuplicatesBench } from './analysis-duplicates.ts';
import { runDuplicateQualityBench } from './duplicate-quality.ts';
import { runEmbeddingsBench } from './embeddings.ts';
import { runIndexingBench } from './indexing.ts';
import { machine } from './machine.ts';

const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean' } } });
const quick = values.quick === true;
const log = (line: string): void => {
  process.stderr.write(line + '\n');
};

const benches: Record<string, () => Promise<unknown>> = {
  indexing: () => runIndexingBench(quick ? { photos: 60, runs: 3, memoryPhotos: 1500 } : {}),
  duplicates: () => runDuplicatesBench(quick ? { sizes: [10_000] } : { sizes: [10_000, 100_000] }),
  'duplicate-quality': () => runDuplicateQualityBench({ log }),
  clusters: () => runClustersBench({ layout100k: !quick, runs: quick ? 1 : 3, log }),
  embeddings: () => runEmbeddingsBench({ modelDir: process.env.SHOEBOX_CLIP_MODEL_DIR }),
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
