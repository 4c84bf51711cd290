// The picture check's promises on real pixels: every edit the near-duplicate fixtures make is the
// same picture; a hue rotation, one region in another colour, or another design is not.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDetailedImage, makeVariants } from '../../../../test/fixtures/images.ts';
import { analysePhoto } from '../features/analyse.ts';
import {
  MINIATURE_SIDE,
  SAME_PICTURE_MAX_DISAGREEMENT,
  comparePictures,
  prepareMiniature,
  type PreparedMiniature,
} from './picture-check.ts';

const require = createRequire(import.meta.url);
const emojiDir = join(
  dirname(require.resolve('emoji-datasource-google/package.json')),
  'img/google/64',
);

async function miniature(bytes: Buffer): Promise<PreparedMiniature> {
  return prepareMiniature((await analysePhoto(bytes, { clipInput: false })).miniature);
}

/** A white card with a big disc and a small blue bar; the disc's colour is the argument. */
function card(disc: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">
    <rect width="200" height="200" fill="#ffffff"/>
    <circle cx="100" cy="95" r="70" fill="${disc}"/>
    <rect x="20" y="175" width="60" height="12" fill="#2f6fdf"/>
  </svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

describe('picture check', () => {
  it('is given miniatures of the size it was tuned for', async () => {
    const analysis = await analysePhoto(await card('#e0a030'), { clipInput: false });
    expect(analysis.miniature.length).toBe(MINIATURE_SIDE * MINIATURE_SIDE * 3);
    expect(() => prepareMiniature(new Uint8Array(10))).toThrow(RangeError);
  });

  describe('on a detailed photo and its edited copies', () => {
    let source: PreparedMiniature;
    let copies: { kind: string; picture: PreparedMiniature }[];
    let recoloured: PreparedMiniature;
    beforeAll(async () => {
      const bytes = await makeDetailedImage({ width: 480, height: 360, seed: 41 });
      const variants = await makeVariants(bytes, 7);
      source = await miniature(bytes);
      copies = await Promise.all(
        variants.variants.map(async (v) => ({ kind: v.kind, picture: await miniature(v.buffer) })),
      );
      recoloured = await miniature(variants.recoloured);
    });

    it('finds the very same picture in full agreement', () => {
      expect(comparePictures(source, source, 0).disagreement).toBe(0);
    });

    it('calls every edit the same picture', () => {
      for (const copy of copies) {
        const result = comparePictures(source, copy.picture, 0);
        expect({ kind: copy.kind, same: result.samePicture }).toEqual({
          kind: copy.kind,
          same: true,
        });
      }
    });

    it('tells a hue rotation apart', () => {
      const result = comparePictures(source, recoloured, 0);
      expect(result.samePicture).toBe(false);
      expect(result.disagreement).toBeGreaterThan(2 * SAME_PICTURE_MAX_DISAGREEMENT);
    });

    it('tells another design apart', async () => {
      const other = await miniature(await makeDetailedImage({ width: 480, height: 360, seed: 42 }));
      expect(comparePictures(source, other).samePicture).toBe(false);
    });
  });

  it('tells one region in another colour apart, whatever the direction', async () => {
    const orange = await miniature(await card('#e0a030'));
    const green = await miniature(await card('#40a060'));
    const brighter = await miniature(
      await sharp(await card('#e0a030'))
        .linear([1.1, 1.1, 1.1], [12, 12, 12])
        .jpeg({ quality: 80 })
        .toBuffer(),
    );
    expect(comparePictures(orange, green, 0).samePicture).toBe(false);
    expect(comparePictures(green, orange, 0).samePicture).toBe(false);
    // ...while the same card brightened and re-encoded is the same picture, both ways.
    expect(comparePictures(orange, brighter, 0).samePicture).toBe(true);
    expect(comparePictures(brighter, orange, 0).samePicture).toBe(true);
  });

  it('tells a yellow emoji from its skin tone, and a flat red from a flat blue', async () => {
    const plain = await miniature(await sharp(join(emojiDir, '1f44d.png')).toBuffer());
    const toned = await miniature(await sharp(join(emojiDir, '1f44d-1f3fd.png')).toBuffer());
    expect(comparePictures(plain, toned, 0).samePicture).toBe(false);
    const flat = (background: string) =>
      sharp({ create: { width: 64, height: 64, channels: 3, background } })
        .png()
        .toBuffer();
    const red = await miniature(await flat('#d02020'));
    const blue = await miniature(await flat('#2040d0'));
    expect(comparePictures(red, blue, 0).samePicture).toBe(false);
  });

  it('stops early only above the limit: the decision is the same either way', async () => {
    const bytes = await makeDetailedImage({ width: 320, height: 240, seed: 9 });
    const { variants, recoloured } = await makeVariants(bytes, 3);
    const source = await miniature(bytes);
    for (const other of [...variants.map((v) => v.buffer), recoloured]) {
      const picture = await miniature(other);
      expect(comparePictures(source, picture).samePicture).toBe(
        comparePictures(source, picture, 0).samePicture,
      );
    }
  });
});
