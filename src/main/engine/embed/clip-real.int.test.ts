// The real quantized CLIP ViT-B/32 (Xenova export), when a machine has it: point
// SHOEBOX_CLIP_MODEL_DIR at an imported model folder, e.g. <library>/models/clip-vit-b32.
// Skipped, with that reason, where the weights are absent (they cannot be downloaded here).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidImage } from '../../../../test/fixtures/tiny-clip/generate.ts';
import { EmbeddingService } from './embedding-service.ts';
import { CLIP_VIT_B32 } from './manifest.ts';

const modelDir = process.env.SHOEBOX_CLIP_MODEL_DIR;
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe.skipIf(!modelDir)(
  'real CLIP ViT-B/32 weights (needs SHOEBOX_CLIP_MODEL_DIR = an imported clip-vit-b32 folder)',
  () => {
    let service: EmbeddingService;
    beforeAll(() => {
      service = new EmbeddingService({
        id: CLIP_VIT_B32.id,
        dim: CLIP_VIT_B32.dim,
        modelDir: modelDir!,
        visionModel: CLIP_VIT_B32.visionModel,
        textModel: CLIP_VIT_B32.textModel,
      });
    });
    afterAll(async () => {
      await service?.close();
    });

    it('has the pinned encoder files', async () => {
      for (const path of [CLIP_VIT_B32.visionModel, CLIP_VIT_B32.textModel]) {
        const pinned = CLIP_VIT_B32.files.find((f) => f.path === path)!;
        expect(await sha256(join(modelDir!, path))).toBe(pinned.sha256);
      }
    });

    it('embeds images and texts into 512-d unit vectors that agree on colour', async () => {
      const [red, blue] = await service.embedImages([
        solidImage(220, 20, 20),
        solidImage(20, 40, 220),
      ]);
      const [redText, blueText] = await service.embedText(['a red picture', 'a blue picture']);
      for (const v of [red!, blue!, redText!, blueText!]) {
        expect(v.length).toBe(512);
        expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 4);
      }
      expect(dot(redText!, red!)).toBeGreaterThan(dot(redText!, blue!));
      expect(dot(blueText!, blue!)).toBeGreaterThan(dot(blueText!, red!));
    });

    it('gives a text the same embedding alone as in a padded batch', async () => {
      const [alone] = await service.embedText(['a photo of a cat']);
      const [inBatch] = await service.embedText(['a photo of a cat', 'word '.repeat(100)]);
      expect(dot(alone!, inBatch!)).toBeGreaterThan(0.9999);
    });
  },
);
