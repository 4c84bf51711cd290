// The face models on real photos: the sample photos @vladmandic/face-api ships (group photos of
// three to five people), and copies of them flipped, cropped, rotated by EXIF, shrunk to a
// thumbnail and blown up; plus a photo without anyone in it. Nothing is downloaded.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import { decodePhoto } from '../features/analyse.ts';
import { findFaces, loadFaceModels, type DetectedFace } from './detector.ts';
import { DESCRIPTOR_DIM } from './face-types.ts';
import { descriptorDistance } from './grouping.ts';

const samples = join(
  dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
);
const MAX_PIXELS = 100e6;

async function facesIn(bytes: Buffer): Promise<DetectedFace[]> {
  const decoded = await decodePhoto(bytes);
  return await findFaces(decoded.working, bytes, MAX_PIXELS);
}

/** The face of `faces` whose box centre is nearest (x, y), and that distance. */
function nearest(faces: DetectedFace[], x: number, y: number) {
  let best = faces[0]!;
  let bestDistance = Infinity;
  for (const face of faces) {
    const d = Math.hypot(face.box.x + face.box.width / 2 - x, face.box.y + face.box.height / 2 - y);
    if (d < bestDistance) {
      best = face;
      bestDistance = d;
    }
  }
  return { face: best, distance: bestDistance };
}

let original: Buffer;
let originalFaces: DetectedFace[];

beforeAll(async () => {
  await loadFaceModels();
  original = await readFile(join(samples, 'sample1.jpg'));
  originalFaces = await facesIn(original);
}, 120_000);

describe('finding faces', { timeout: 120_000 }, () => {
  it('finds the three people of a sample photo, each with a box and a descriptor', () => {
    expect(originalFaces).toHaveLength(3);
    for (const face of originalFaces) {
      expect(face.descriptor).toHaveLength(DESCRIPTOR_DIM);
      expect(face.score).toBeGreaterThan(0.5);
      for (const v of [face.box.x, face.box.y, face.box.x + face.box.width]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
    }
    // Stable order: top to bottom, then left to right.
    const ys = originalFaces.map((f) => f.box.y);
    expect(ys).toEqual([...ys].sort((a, b) => a - b));
    // Three different people: their descriptors are far apart.
    const [a, b, c] = originalFaces;
    for (const [p, q] of [
      [a, b],
      [a, c],
      [b, c],
    ] as const)
      expect(descriptorDistance(p!.descriptor, q!.descriptor)).toBeGreaterThan(0.45);
  });

  it('finds the same faces in a mirrored, brightened, recompressed copy', async () => {
    const copy = await sharp(original)
      .flop()
      .modulate({ brightness: 1.2 })
      .jpeg({ quality: 60 })
      .toBuffer();
    const faces = await facesIn(copy);
    expect(faces).toHaveLength(3);
    for (const face of originalFaces) {
      const cx = 1 - (face.box.x + face.box.width / 2);
      const match = nearest(faces, cx, face.box.y + face.box.height / 2);
      expect(match.distance).toBeLessThan(0.03);
      // Mirrored, a face is still closer to itself than to anyone else in the photo (> 0.45 apart
      // above), though mirroring moves the description more than any other edit here.
      expect(descriptorDistance(face.descriptor, match.face.descriptor)).toBeLessThan(0.5);
    }
  });

  it('applies the EXIF orientation: a photo stored sideways shows the same faces', async () => {
    // Pixels turned a quarter anticlockwise, tagged 6 ("turn clockwise to display").
    const sideways = await sharp(original)
      .rotate(-90)
      .withMetadata({ orientation: 6 })
      .jpeg({ quality: 92 })
      .toBuffer();
    const faces = await facesIn(sideways);
    expect(faces).toHaveLength(3);
    for (const face of originalFaces) {
      const match = nearest(
        faces,
        face.box.x + face.box.width / 2,
        face.box.y + face.box.height / 2,
      );
      expect(match.distance).toBeLessThan(0.03);
      expect(descriptorDistance(face.descriptor, match.face.descriptor)).toBeLessThan(0.4);
    }
  });

  it('copes with a photo turned upside down without a tag: a clear list, maybe empty', async () => {
    const upsideDown = await sharp(original).rotate(180).jpeg().toBuffer();
    const faces = await facesIn(upsideDown);
    expect(Array.isArray(faces)).toBe(true);
    for (const face of faces) expect(face.descriptor).toHaveLength(DESCRIPTOR_DIM);
  });

  it('finds one person in a crop around her face', async () => {
    const { width, height } = await sharp(original).metadata();
    const face = originalFaces[1]!;
    const left = Math.max(0, Math.round((face.box.x - face.box.width) * width!));
    const top = Math.max(0, Math.round((face.box.y - face.box.height / 2) * height!));
    const crop = await sharp(original)
      .extract({
        left,
        top,
        width: Math.min(width! - left, Math.round(face.box.width * 3 * width!)),
        height: Math.min(height! - top, Math.round(face.box.height * 2.5 * height!)),
      })
      .jpeg()
      .toBuffer();
    const faces = await facesIn(crop);
    expect(faces.length).toBeGreaterThanOrEqual(1);
    const closest = Math.min(
      ...faces.map((f) => descriptorDistance(f.descriptor, face.descriptor)),
    );
    expect(closest).toBeLessThan(0.45);
  });

  it('finds nobody in a photo without people, nor in a tiny image', async () => {
    expect(await facesIn(await makeDetailedImage({ width: 1600, height: 1200, seed: 7 }))).toEqual(
      [],
    );
    const tiny = await sharp(original).resize(24, 16, { fit: 'fill' }).png().toBuffer();
    expect(await facesIn(tiny)).toEqual([]);
  });

  it('handles a 24-megapixel enlargement from its shrunk decode', async () => {
    const huge = await sharp(original).resize(6000, 4000, { fit: 'fill' }).jpeg().toBuffer();
    const faces = await facesIn(huge);
    expect(faces).toHaveLength(3);
  });
});
