import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { solidImage } from '../../../../test/fixtures/tiny-clip/generate.ts';
import { parsePreprocessorConfig, toPixelValues } from './clip-preprocess.ts';

const assets = process.env.SHOEBOX_CLIP_ASSETS;
const PLANE = 224 * 224;

const clipConfig = {
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { shortest_edge: 224 },
};

describe('CLIP preprocessing', () => {
  it('rescales, normalises per channel and lays out NCHW', () => {
    const cfg = parsePreprocessorConfig(clipConfig);
    const a = solidImage(255, 0, 0);
    // Pixel (y=1, x=2) of the second image gets a distinct colour to pin the layout.
    const b = solidImage(0, 0, 0);
    const at = (1 * 224 + 2) * 3;
    b.set([10, 128, 250], at);
    const out = toPixelValues([a, b], cfg);
    expect(out.length).toBe(2 * 3 * PLANE);
    expect(out[0]).toBeCloseTo((1 - 0.48145466) / 0.26862954, 5);
    expect(out[PLANE]).toBeCloseTo((0 - 0.4578275) / 0.26130258, 5);
    expect(out[2 * PLANE + 500]).toBeCloseTo((0 - 0.40821073) / 0.27577711, 5);
    const p = 1 * 224 + 2;
    const base = 3 * PLANE;
    expect(out[base + p]).toBeCloseTo((10 / 255 - 0.48145466) / 0.26862954, 5);
    expect(out[base + PLANE + p]).toBeCloseTo((128 / 255 - 0.4578275) / 0.26130258, 5);
    expect(out[base + 2 * PLANE + p]).toBeCloseTo((250 / 255 - 0.40821073) / 0.27577711, 5);
    expect(out[base + p + 1]).toBeCloseTo((0 - 0.48145466) / 0.26862954, 5);
  });

  it('rejects inputs that are not 224x224 RGB', () => {
    const cfg = parsePreprocessorConfig(clipConfig);
    expect(() => toPixelValues([new Uint8Array(224 * 224 * 4)], cfg)).toThrow(/224x224 RGB/);
  });

  it('refuses a model that expects a different resize or crop', () => {
    expect(() => parsePreprocessorConfig({ ...clipConfig, size: { shortest_edge: 336 } })).toThrow(
      /224x224 centre crop/,
    );
    expect(() => parsePreprocessorConfig({ ...clipConfig, resample: 2 })).toThrow(/bicubic/);
    expect(() => parsePreprocessorConfig({ ...clipConfig, image_mean: [0.5, 0.5] })).toThrow(
      /image_mean/,
    );
  });

  it.skipIf(!assets)(
    'reads the real preprocessor_config.json values (needs SHOEBOX_CLIP_ASSETS)',
    async () => {
      const json: unknown = JSON.parse(
        await readFile(join(assets!, 'preprocessor_config.json'), 'utf8'),
      );
      const cfg = parsePreprocessorConfig(json);
      expect(cfg.mean).toEqual([0.48145466, 0.4578275, 0.40821073]);
      expect(cfg.std).toEqual([0.26862954, 0.26130258, 0.27577711]);
      expect(cfg.rescale).toBeCloseTo(1 / 255, 12);
    },
  );

  it.skipIf(!assets)(
    'matches transformers.js CLIPImageProcessor on a 224x224 image (needs SHOEBOX_CLIP_ASSETS)',
    async () => {
      const { AutoProcessor, RawImage, env } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.localModelPath = `${join(assets!, '..')}/`;
      const name = assets!.replace(/\/+$/, '').split('/').pop()!;
      const processor = await AutoProcessor.from_pretrained(name, { local_files_only: true });
      // A deterministic pattern with every byte value in every channel.
      const img = new Uint8Array(224 * 224 * 3);
      for (let i = 0; i < img.length; i++) img[i] = (i * 7 + (i >> 8)) & 255;
      const reference = (await processor(new RawImage(img, 224, 224, 3))) as {
        pixel_values: { data: Float32Array; dims: number[] };
      };
      expect(reference.pixel_values.dims).toEqual([1, 3, 224, 224]);
      const ours = toPixelValues(
        [img],
        parsePreprocessorConfig(
          JSON.parse(await readFile(join(assets!, 'preprocessor_config.json'), 'utf8')),
        ),
      );
      let maxDiff = 0;
      for (let i = 0; i < ours.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(ours[i]! - reference.pixel_values.data[i]!));
      }
      expect(maxDiff).toBeLessThan(1e-5);
    },
  );
});
