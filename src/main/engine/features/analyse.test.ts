import { lstat, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import {
  makeDetailedImage,
  makeHostileCorpus,
  makeVariants,
  seededRandom,
  type HostileEntry,
} from '../../../../test/fixtures/images.ts';
import { deltaE76, hexToLab } from '../../../shared/colour.ts';
import { FEATURE_VERSIONS, FINGERPRINT_DIM, analysePhoto } from './analyse.ts';
import { PhotoFailure, describeFailure } from './failures.ts';
import { cosineSimilarity } from './fingerprint.ts';
import { HISTOGRAM_BINS } from './histogram.ts';
import { hammingDistance } from './phash.ts';
import { sniffFormat } from './sniff.ts';

/** Runs analysePhoto and reports the outcome; anything but a PhotoFailure is rethrown. */
async function outcome(
  bytes: Buffer,
): Promise<{ indexed: true } | { indexed: false; reason: string }> {
  try {
    await analysePhoto(bytes);
    return { indexed: true };
  } catch (error) {
    if (!(error instanceof PhotoFailure)) throw error;
    expect(error.reason).not.toMatch(/\n|\s{2}|\bat\s.+:\d+|vips|libpng|spng/i);
    return { indexed: false, reason: error.reason };
  }
}

describe('the hostile corpus', () => {
  let dir: string;
  let entries: HostileEntry[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoebox-hostile-'));
    entries = await makeHostileCorpus(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every case the design asks for', () => {
    const names = entries.map((entry) => entry.name);
    for (const name of [
      'empty.jpg',
      'truncated.jpg',
      'notes.jpg',
      'bomb.png',
      'folder.jpg/inside.jpg',
      'dangling.jpg',
      'nested/loop',
      'locked.jpg',
      'tiny-1x1.png',
      'panorama-30x1.jpg',
      'cmyk.jpg',
      'grey16.png',
      'café ☕ 写真.jpg',
      'really-a-png.jpg',
      'drawing.png',
      'phone.heic',
      'animated.gif',
      'palette-alpha.png',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('indexes or fails each file as expected, with a plain reason, and never hangs', async () => {
    const results: string[] = [];
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.expect === 'skipped') {
        expect((await lstat(path)).isSymbolicLink()).toBe(true);
        continue;
      }
      // Reading is the caller's job; a file it cannot read fails with describeFailure's reason.
      const bytes = await readFile(path).catch((error: unknown) => error as Error);
      const result =
        bytes instanceof Buffer
          ? await outcome(bytes)
          : { indexed: false as const, reason: describeFailure(bytes) };
      results.push(`${entry.name}: ${result.indexed ? 'indexed' : result.reason}`);
      if (entry.expect === 'indexed') {
        expect(result, entry.name).toEqual({ indexed: true });
      } else {
        expect(result.indexed, entry.name).toBe(false);
        if (!result.indexed && entry.reasonIncludes) {
          expect(result.reason, entry.name).toContain(entry.reasonIncludes);
        }
      }
    }
    expect(results.length).toBeGreaterThanOrEqual(18);
  });

  it('names the dimensions of a decompression bomb', async () => {
    const result = await outcome(await readFile(join(dir, 'bomb.png')));
    expect(result).toEqual({
      indexed: false,
      reason: 'image is 60000x60000, over the 100-megapixel limit',
    });
  });

  it('indexes the first frame of an animated GIF', async () => {
    const analysis = await analysePhoto(await readFile(join(dir, 'animated.gif')));
    expect(analysis.format).toBe('gif');
    expect([analysis.width, analysis.height]).toEqual([48, 32]);
    expect(analysis.palette[0]!.share).toBeGreaterThan(0.95);
    expect(deltaE76(analysis.palette[0]!.lab, hexToLab('#e03030'))).toBeLessThan(5);
  });
});

describe('damaged files', () => {
  it('fails with a PhotoFailure, never another error, when a JPEG is cut or scrambled', async () => {
    const photo = await makeDetailedImage({ width: 240, height: 180, seed: 5 });
    const random = seededRandom(99);
    for (let trial = 0; trial < 12; trial++) {
      const bytes = Buffer.from(photo.subarray(0, 8 + Math.floor(random() * photo.length)));
      if (trial % 2 === 1) {
        for (let k = 0; k < 20; k++) {
          const at = 2 + Math.floor(random() * (bytes.length - 2));
          bytes[at] = Math.floor(random() * 256);
        }
      }
      await outcome(bytes); // throws if anything but a PhotoFailure escapes
    }
  });

  it('turns unexpected errors into sentences', () => {
    expect(describeFailure(new Error('VipsJpeg: premature end of JPEG image'), 'jpeg')).toBe(
      'truncated JPEG',
    );
    expect(describeFailure(new Error('vipspng: libpng read error'), 'png')).toBe('corrupt PNG');
    expect(describeFailure(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(
      'file cannot be read (permission denied)',
    );
    expect(describeFailure(Object.assign(new Error('x'), { code: 'EMFILE' }))).toBe(
      'file cannot be read (EMFILE)',
    );
    expect(describeFailure(new PhotoFailure('file is empty'))).toBe('file is empty');
  });

  it('applies a custom pixel limit before decoding', async () => {
    const photo = await sharp({
      create: { width: 2000, height: 1000, channels: 3, background: '#000' },
    })
      .png()
      .toBuffer();
    await expect(analysePhoto(photo, { maxPixels: 1e6 })).rejects.toThrow(
      'image is 2000x1000, over the 1-megapixel limit',
    );
  });
});

describe('analysePhoto', () => {
  it('reads EXIF facts and applies the orientation to the size', async () => {
    const photo = await makeDetailedImage({ width: 400, height: 300, seed: 8 });
    const tagged = await sharp(photo)
      .withExif({
        IFD0: { Make: 'Canon', Model: 'Canon EOS R5' },
        IFD2: { DateTimeOriginal: '2021:06:01 12:34:56', OffsetTimeOriginal: '+02:00' },
      })
      .withMetadata({ orientation: 6 })
      .jpeg()
      .toBuffer();
    const analysis = await analysePhoto(tagged);
    expect(analysis.format).toBe('jpeg');
    expect(analysis.orientation).toBe(6);
    expect([analysis.width, analysis.height]).toEqual([300, 400]);
    expect([analysis.thumbnailWidth, analysis.thumbnailHeight]).toEqual([288, 384]);
    expect(analysis.camera).toBe('Canon EOS R5');
    expect(analysis.takenAt).toBe(Date.UTC(2021, 5, 1, 10, 34, 56));
    expect(analysis.exifFieldCount).toBeGreaterThanOrEqual(4);

    const bare = await analysePhoto(photo);
    expect(bare.orientation).toBeNull();
    expect(bare.takenAt).toBeNull();
    expect(bare.camera).toBeNull();
    expect(bare.exifFieldCount).toBe(0);
  });

  it('makes a WebP thumbnail, features of the documented shapes, and the CLIP crop', async () => {
    const photo = await makeDetailedImage({ width: 1200, height: 800, seed: 3 });
    const analysis = await analysePhoto(photo);
    expect(sniffFormat(analysis.thumbnail)).toBe('webp');
    const thumb = await sharp(analysis.thumbnail).metadata();
    expect([thumb.width, thumb.height]).toEqual([384, 256]);
    expect([analysis.width, analysis.height]).toEqual([1200, 800]);
    expect(analysis.histogram).toHaveLength(HISTOGRAM_BINS);
    expect(analysis.phash).toMatch(/^[0-9a-f]{16}$/);
    expect(analysis.fingerprint).toHaveLength(FINGERPRINT_DIM);
    const norm = Math.hypot(...analysis.fingerprint);
    expect(norm).toBeCloseTo(1, 5);
    expect(analysis.clipInput).toHaveLength(224 * 224 * 3);
    expect(analysis.versions).toEqual(FEATURE_VERSIONS);
    expect(analysis.sharpness).toBeGreaterThan(0);

    const small = await analysePhoto(photo, { thumbnailSize: 200 });
    const smallThumb = await sharp(small.thumbnail).metadata();
    expect([smallThumb.width, smallThumb.height]).toEqual([200, 133]);
    expect([small.thumbnailWidth, small.thumbnailHeight]).toEqual([200, 133]);
    // Features do not depend on the thumbnail setting.
    expect(Array.from(small.fingerprint)).toEqual(Array.from(analysis.fingerprint));
    expect(small.palette).toEqual(analysis.palette);

    const smaller = await analysePhoto(await sharp(photo).resize(300).toBuffer());
    const thumbSmall = await sharp(smaller.thumbnail).metadata();
    expect([thumbSmall.width, thumbSmall.height]).toEqual([300, 200]); // never enlarged
  });

  it('crops the CLIP input from the centre after resizing the short edge to 224', async () => {
    // 3:1, left third red, middle green, right third blue: the centre crop is all green.
    const width = 600;
    const height = 200;
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < width * height; i++) {
      const x = i % width;
      pixels.set(x < 200 ? [255, 0, 0] : x < 400 ? [0, 255, 0] : [0, 0, 255], i * 3);
    }
    const png = await sharp(pixels, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    const { clipInput } = await analysePhoto(png);
    const at = (x: number, y: number) =>
      Array.from(clipInput.subarray((y * 224 + x) * 3, (y * 224 + x) * 3 + 3));
    expect(at(112, 112)).toEqual([0, 255, 0]);
    expect(at(60, 10)).toEqual([0, 255, 0]);
    // The crop's edges fall exactly on the colour boundaries, so only their last pixels blend.
    expect(at(8, 100)[1]).toBeGreaterThan(200);
    expect(at(215, 100)[1]).toBeGreaterThan(200);
    expect(at(8, 100)[0]).toBeLessThan(50);
    expect(at(215, 100)[2]).toBeLessThan(50);
  });

  it('reads every format it accepts, to the same picture', async () => {
    const photo = await makeDetailedImage({ width: 240, height: 180, seed: 31 });
    const reference = await analysePhoto(photo);
    const encodings = {
      png: await sharp(photo).png().toBuffer(),
      webp: await sharp(photo).webp({ quality: 90 }).toBuffer(),
      gif: await sharp(photo).gif().toBuffer(),
      avif: await sharp(photo).avif({ quality: 70 }).toBuffer(),
      tiff: await sharp(photo).tiff().toBuffer(),
    };
    for (const [format, bytes] of Object.entries(encodings)) {
      const analysis = await analysePhoto(bytes);
      expect(analysis.format).toBe(format);
      expect([analysis.width, analysis.height]).toEqual([240, 180]);
      expect(hammingDistance(analysis.phash, reference.phash), format).toBeLessThanOrEqual(6);
      expect(cosineSimilarity(analysis.fingerprint, reference.fingerprint), format).toBeGreaterThan(
        0.9,
      );
    }
  });

  it('a sharp photo scores higher sharpness than its blurred copy', async () => {
    const photo = await makeDetailedImage({ width: 800, height: 600, seed: 4 });
    const blurred = await sharp(photo).blur(3).jpeg().toBuffer();
    const [a, b] = await Promise.all([analysePhoto(photo), analysePhoto(blurred)]);
    expect(a.sharpness).toBeGreaterThan(b.sharpness * 2);
  });

  it('sees an EXIF-rotated copy as the same picture as the original', async () => {
    const photo = await makeDetailedImage({ width: 480, height: 360, seed: 12 });
    const { variants } = await makeVariants(photo, 12);
    const rotated = variants.find((variant) => variant.kind === 'rotated-exif')!.buffer;
    const [a, b] = await Promise.all([analysePhoto(photo), analysePhoto(rotated)]);
    expect(b.orientation).toBe(6);
    expect([b.width, b.height]).toEqual([480, 360]);
    expect(hammingDistance(a.phash, b.phash)).toBeLessThanOrEqual(4);
    expect(cosineSimilarity(a.fingerprint, b.fingerprint)).toBeGreaterThan(0.97);
  });
});
