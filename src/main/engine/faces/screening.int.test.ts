// The screening detector on ONNX Runtime against the reference it was rebuilt from: face-api's own
// Tiny Face Detector on TensorFlow.js, same weights, same working copies. The two must give the
// same grid (to float rounding) and so the same verdict, on the package's sample photos (group
// photos), on copies that exercise the padding (portrait, landscape, transparency) and on a
// photo without anyone in it. Nothing is downloaded.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeDetailedImage } from '../../../../test/fixtures/images.ts';
import { decodePhoto } from '../features/analyse.ts';
import type { WorkingImage } from '../features/pixels.ts';
import { loadTensorFlow } from './detector.ts';
import { modelDir } from './model-files.ts';
import { SCREEN_INPUT, SCREEN_MIN_SCORE, screeningGrid, screeningScore } from './screening.ts';

interface Tensor {
  shape: number[];
  data(): Promise<Float32Array>;
  dispose(): void;
}
interface ReferenceFaceApi {
  tf: { tensor3d(values: Int32Array, shape: number[], dtype: 'int32'): Tensor };
  nets: {
    tinyFaceDetector: {
      loadFromDisk(dir: string): Promise<void>;
      forward(input: Tensor, inputSize: number): Promise<Tensor>;
    };
  };
}

const samples = join(
  dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
);
let faceapi: ReferenceFaceApi;

beforeAll(async () => {
  faceapi = (await loadTensorFlow()) as unknown as ReferenceFaceApi;
  await faceapi.nets.tinyFaceDetector.loadFromDisk(modelDir());
}, 120_000);

/** face-api's grid for a working copy, as [25, 8, 8] (its own output is cells by anchors). */
async function referenceGrid(image: WorkingImage): Promise<Float32Array> {
  const { width, height, channels, data } = image;
  const rgb = new Int32Array(width * height * 3);
  for (let p = 0; p < width * height; p += 1) {
    const a = channels === 4 ? data[p * 4 + 3]! / 255 : 1;
    for (let c = 0; c < 3; c += 1)
      rgb[p * 3 + c] = Math.round(data[p * channels + c]! * a + 255 * (1 - a));
  }
  const input = faceapi.tf.tensor3d(rgb, [height, width, 3], 'int32');
  const output = await faceapi.nets.tinyFaceDetector.forward(input, SCREEN_INPUT);
  const nhwc = await output.data();
  const [, rows, cols, depth] = output.shape as [number, number, number, number];
  input.dispose();
  output.dispose();
  const nchw = new Float32Array(nhwc.length);
  for (let y = 0; y < rows; y += 1)
    for (let x = 0; x < cols; x += 1)
      for (let c = 0; c < depth; c += 1)
        nchw[(c * rows + y) * cols + x] = nhwc[(y * cols + x) * depth + c]!;
  return nchw;
}

async function workingCopy(bytes: Buffer): Promise<WorkingImage> {
  return (await decodePhoto(bytes)).working;
}

async function expectSameAsReference(image: WorkingImage): Promise<number> {
  const [ours, reference] = await Promise.all([screeningGrid(image), referenceGrid(image)]);
  expect(ours).toHaveLength(reference.length);
  let worst = 0;
  for (let i = 0; i < ours.length; i += 1)
    worst = Math.max(worst, Math.abs(ours[i]! - reference[i]!));
  // Logits of a few units; float32 sums in a different order differ in the fifth decimal.
  expect(worst).toBeLessThan(1e-3);
  return await screeningScore(image);
}

describe('face screening on ONNX Runtime', { timeout: 120_000 }, () => {
  it.each([1, 2, 3, 4, 5, 6])(
    'gives face-api’s own grid and sees a face in sample %i',
    async (n) => {
      const image = await workingCopy(await readFile(join(samples, `sample${n}.jpg`)));
      expect(await expectSameAsReference(image)).toBeGreaterThan(SCREEN_MIN_SCORE);
    },
  );

  it('pads a portrait crop at the right and a wide crop at the bottom, as face-api does', async () => {
    const source = await readFile(join(samples, 'sample1.jpg'));
    const { width = 0, height = 0 } = await sharp(source).metadata();
    const portrait = await sharp(source)
      .extract({ left: 0, top: 0, width: Math.round(width / 3), height })
      .jpeg()
      .toBuffer();
    const wide = await sharp(source)
      .extract({ left: 0, top: 0, width, height: Math.round(height / 3) })
      .jpeg()
      .toBuffer();
    for (const bytes of [portrait, wide]) {
      const image = await workingCopy(bytes);
      expect(image.width).not.toBe(image.height);
      await expectSameAsReference(image);
    }
  });

  it('composites transparency over white first', async () => {
    const source = await readFile(join(samples, 'sample2.jpg'));
    const { width = 0, height = 0 } = await sharp(source).metadata();
    // A see-through left half: what shows there is white, in both implementations.
    const alpha = Buffer.alloc(width * height);
    for (let y = 0; y < height; y += 1) alpha.fill(255, y * width + (width >> 1), (y + 1) * width);
    const png = await sharp(source)
      .joinChannel(alpha, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer();
    const image = await workingCopy(png);
    expect(image.channels).toBe(4);
    await expectSameAsReference(image);
  });

  it('sees no face in a photo of shapes and gradients', async () => {
    const image = await workingCopy(await makeDetailedImage({ width: 800, height: 600, seed: 3 }));
    expect(await expectSameAsReference(image)).toBeLessThan(SCREEN_MIN_SCORE);
  });
});
