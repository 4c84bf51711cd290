// The real onnxruntime on the generated tiny CLIP-shaped encoders, in this process.
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateTinyClip,
  solidImage,
  type TinyClip,
} from '../../../../test/fixtures/tiny-clip/generate.ts';
import { encodeOnnxModel, FLOAT } from '../onnx-writer.ts';
import { ClipOnnxModel } from './clip-onnx.ts';

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: Float32Array) => Math.sqrt(dot(a, a));

describe('ClipOnnxModel on the tiny CLIP export', () => {
  let tiny: TinyClip;
  let model: ClipOnnxModel;
  beforeAll(async () => {
    tiny = await generateTinyClip();
    model = await ClipOnnxModel.load({ modelDir: tiny.dir, threads: 1 });
  });
  afterAll(async () => {
    await model.release();
  });

  it('embeds a batch of images into unit vectors, the same as one at a time', async () => {
    const inputs = [solidImage(255, 0, 0), solidImage(0, 0, 255), solidImage(30, 200, 90)];
    const batch = await model.embedImages(inputs);
    expect(batch).toHaveLength(3);
    for (const v of batch) {
      expect(v.length).toBe(512);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    const single = await model.embedImages([inputs[2]!]);
    expect(Array.from(single[0]!)).toEqual(Array.from(batch[2]!));
    expect(dot(batch[0]!, batch[1]!)).toBeLessThan(0.9);
    expect(model.dim).toBe(512);
  });

  it('embeds texts so a colour word ranks the photo of that colour first', async () => {
    const images = await model.embedImages([
      solidImage(255, 0, 0),
      solidImage(0, 255, 0),
      solidImage(0, 0, 255),
    ]);
    const texts = await model.embedText(['a red photo', 'green', 'the BLUE sky']);
    texts.forEach((t, i) => {
      expect(norm(t)).toBeCloseTo(1, 5);
      const scores = images.map((img) => dot(t, img));
      expect(scores.indexOf(Math.max(...scores))).toBe(i);
      expect(scores[i]).toBeGreaterThan(0.99);
    });
  });

  it('refuses an ONNX file without the CLIP export names', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoebox-bad-clip-'));
    try {
      await cp(tiny.dir, dir, { recursive: true });
      const wrong = encodeOnnxModel({
        name: 'not_clip',
        inputs: [{ name: 'images', elemType: FLOAT, shape: ['n', 3, 224, 224] }],
        outputs: [{ name: 'features', elemType: FLOAT, shape: ['n', 3, 1, 1] }],
        initializers: [],
        nodes: [{ op: 'GlobalAveragePool', inputs: ['images'], outputs: ['features'] }],
      });
      await writeFile(join(dir, 'onnx/vision_model_quantized.onnx'), wrong);
      await expect(ClipOnnxModel.load({ modelDir: dir })).rejects.toThrow(
        /not a CLIP encoder export: it lacks pixel_values, image_embeds/,
      );
      await writeFile(join(dir, 'onnx/vision_model_quantized.onnx'), 'not onnx');
      await expect(ClipOnnxModel.load({ modelDir: dir })).rejects.toThrow(/could not load/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
