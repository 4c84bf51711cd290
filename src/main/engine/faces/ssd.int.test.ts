// The accurate face detector on ONNX Runtime against the reference it was rebuilt from: face-api's
// own SSD MobileNet v1 on TensorFlow.js, same weights, same detail copies. Same faces, same
// order, same scores and boxes (to float rounding), on the package's sample photos (three to
// five people each), on copies that exercise the padding and the box scaling (portrait,
// landscape), and on a photo without anyone in it. Nothing is downloaded.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import type { WorkingImage } from '../features/pixels.ts';
import { decodeDetail, FACE_MIN_SCORE, loadTensorFlow } from './detector.ts';
import { modelDir } from './model-files.ts';
import { detectFaces, type SsdDetection } from './ssd.ts';

interface Tensor {
  dispose(): void;
}
interface ReferenceDetection {
  score: number;
  relativeBox: { x: number; y: number; width: number; height: number };
}
interface ReferenceSsd {
  loadFromDisk(dir: string): Promise<void>;
  locateFaces(input: Tensor, options: object): Promise<ReferenceDetection[]>;
}
interface ReferenceFaceApi {
  tf: { tensor3d(values: Int32Array, shape: number[], dtype: 'int32'): Tensor };
  SsdMobilenetv1: new () => ReferenceSsd;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults: number }) => object;
}

const samples = join(
  dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
);
// Lower than the product's bar, so that weak detections are compared too.
const MIN_SCORE = 0.2;
let faceapi: ReferenceFaceApi;
let reference: ReferenceSsd;

beforeAll(async () => {
  faceapi = (await loadTensorFlow()) as unknown as ReferenceFaceApi;
  // An instance of its own: the product's face-api pipeline answers detection from ssd.ts.
  reference = new faceapi.SsdMobilenetv1();
  await reference.loadFromDisk(modelDir());
}, 120_000);

async function referenceFaces(image: WorkingImage): Promise<SsdDetection[]> {
  const input = faceapi.tf.tensor3d(
    new Int32Array(image.data),
    [image.height, image.width, 3],
    'int32',
  );
  try {
    const found = await reference.locateFaces(
      input,
      new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_SCORE, maxResults: 100 }),
    );
    return found.map(({ score, relativeBox: { x, y, width, height } }) => ({
      score,
      box: { x, y, width, height },
    }));
  } finally {
    input.dispose();
  }
}

async function expectSameAsReference(bytes: Buffer): Promise<SsdDetection[]> {
  const detail = await decodeDetail(bytes, 100e6);
  const ours = await detectFaces(detail, MIN_SCORE, 100);
  const theirs = await referenceFaces(detail);
  expect(ours).toHaveLength(theirs.length);
  ours.forEach((face, i) => {
    const other = theirs[i]!;
    for (const [a, b] of [
      [face.score, other.score],
      [face.box.x, other.box.x],
      [face.box.y, other.box.y],
      [face.box.width, other.box.width],
      [face.box.height, other.box.height],
    ] as const)
      expect(Math.abs(a - b)).toBeLessThan(1e-4);
  });
  return ours;
}

describe('the accurate face detector on ONNX Runtime', { timeout: 120_000 }, () => {
  it.each([
    [1, 3],
    [2, 3],
    [3, 3],
    [4, 4],
    [5, 5],
    [6, 4],
  ])('finds face-api’s own faces in sample %i (%i people)', async (n, people) => {
    const found = await expectSameAsReference(await readFile(join(samples, `sample${n}.jpg`)));
    expect(found.filter((face) => face.score > FACE_MIN_SCORE)).toHaveLength(people);
  });

  it('scales boxes back the same way for a portrait crop and a wide crop', async () => {
    const source = await readFile(join(samples, 'sample5.jpg'));
    const { width = 0, height = 0 } = await sharp(source).metadata();
    const portrait = await sharp(source)
      .extract({ left: Math.round(width / 3), top: 0, width: Math.round(width / 3), height })
      .jpeg()
      .toBuffer();
    const wide = await sharp(source)
      .extract({ left: 0, top: Math.round(height / 4), width, height: Math.round(height / 2) })
      .jpeg()
      .toBuffer();
    for (const bytes of [portrait, wide])
      expect((await expectSameAsReference(bytes)).length).toBeGreaterThan(0);
  });

  it('finds nobody in a photo of shapes and gradients', async () => {
    const found = await expectSameAsReference(
      await makeDetailedImage({ width: 1200, height: 900, seed: 3 }),
    );
    expect(found.filter((face) => face.score > FACE_MIN_SCORE)).toHaveLength(0);
  });
});
