// Benchmark for the library's own colours (the Colours screen's starting swatches): how long the
// pass over every stored palette takes at 10k and 100k photos, next to building the palette
// index it reads (which the colour search builds anyway and keeps per catalog generation), and
// next to one colour search over the same index, side by side in one run. Palettes are 1-5
// random CIELAB colours with random shares (seeded), the same kind as analysis-clusters.ts uses.
//
// `npx tsx bench/library-colours.ts` prints the JSON alone; `npm run bench -- --only
// library-colours` runs it with the others.
import { pathToFileURL } from 'node:url';
import { mulberry32 } from '../src/main/engine/analysis/cluster-scores.ts';
import {
  buildPaletteIndex,
  searchByHex,
  type WeightedLab,
} from '../src/main/engine/analysis/colour-search.ts';
import { libraryColours } from '../src/main/engine/analysis/library-colours.ts';
import { machine, median } from './machine.ts';

export interface LibraryColoursBenchOptions {
  sizes?: number[];
  runs?: number;
  seed?: number;
}

function randomPalette(rnd: () => number): WeightedLab[] {
  const n = 1 + Math.floor(rnd() * 5);
  return Array.from({ length: n }, () => ({
    lab: { l: rnd() * 100, a: rnd() * 160 - 80, b: rnd() * 160 - 80 },
    share: 0.05 + rnd(),
  }));
}

const round = (v: number, digits = 2) => Number(v.toFixed(digits));

export function runLibraryColoursBench(options: LibraryColoursBenchOptions = {}) {
  const sizes = options.sizes ?? [10_000, 100_000];
  const runs = options.runs ?? 9;
  const seed = options.seed ?? 11;
  const results = sizes.map((n) => {
    const rnd = mulberry32(seed + n);
    const entries = Array.from({ length: n }, (_, i) => ({
      id: i + 1,
      palette: randomPalette(rnd),
    }));
    const buildMs: number[] = [];
    const coloursMs: number[] = [];
    const searchMs: number[] = [];
    let colours = 0;
    // One warm-up round so the JIT has compiled the loops (the app keeps them warm too).
    for (let run = 0; run <= runs; run++) {
      let t0 = performance.now();
      const index = buildPaletteIndex(entries);
      const build = performance.now() - t0;
      t0 = performance.now();
      const found = libraryColours(index);
      const own = performance.now() - t0;
      t0 = performance.now();
      searchByHex(index, [found.colours[0]!.hex], { k: 120 });
      const search = performance.now() - t0;
      colours = found.colours.length;
      if (run === 0) continue;
      buildMs.push(build);
      coloursMs.push(own);
      searchMs.push(search);
    }
    return {
      photos: n,
      colours,
      libraryColoursMs: round(median(coloursMs)),
      paletteIndexBuildMs: round(median(buildMs)),
      firstSwatchSearchMs: round(median(searchMs)),
      runs,
    };
  });
  return {
    benchmark: 'library-colours',
    machine: machine(),
    data: { palettes: '1-5 colours uniform in L 0..100, a,b -80..80, random shares', seed },
    results,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(runLibraryColoursBench(), null, 2) + '\n');
}
