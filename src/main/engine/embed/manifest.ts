// The models Shoebox knows how to fetch, pinned: a revision, and every file's size and SHA-256.
// These are public facts about the published files; a file that does not match is never used.

import type { DigestKind } from './tokenizer-digest.ts';

export interface ModelFile {
  /** Path inside the model folder, with forward slashes (the same as in the upstream repo). */
  path: string;
  bytes: number;
  sha256: string;
  /**
   * Only for the tokenizer files, and only for `import`: other serialisations of the same
   * tokenizer accepted by content digest (see tokenizer-digest.ts). Export tools rewrite these
   * JSON files with different key order, whitespace and merge encoding, so the byte hash pins one
   * export, not one tokenizer. Weights and preprocessing configs always need their exact bytes.
   */
  equivalent?: { kind: DigestKind; digests: string[] };
}

export interface ModelManifest {
  /** Shoebox's id for the model, as typed in `shoebox models fetch <id>` and stored with embeddings. */
  id: string;
  /** Human name, for `models list` and the Settings screen. */
  name: string;
  /** Upstream repository and the exact revision the files come from. */
  repo: string;
  revision: string;
  /** Each file is downloaded from `${baseUrl}/${file.path}`. */
  baseUrl: string;
  dim: number;
  files: ModelFile[];
  /** Which files are the image and text encoders (ONNX). */
  visionModel: string;
  textModel: string;
  /** A text and its token ids: checked when an import's tokenizer is accepted by equivalence. */
  tokenizerProbe?: { text: string; ids: number[] };
}

export const CLIP_VIT_B32_ID = 'clip-vit-b32';

const CLIP_REVISION = 'd15189d7028b43f1d3e65039190477f6af591c2a';

export const CLIP_VIT_B32: ModelManifest = {
  id: CLIP_VIT_B32_ID,
  name: 'CLIP ViT-B/32 (quantized ONNX)',
  repo: 'Xenova/clip-vit-base-patch32',
  revision: CLIP_REVISION,
  baseUrl: `https://huggingface.co/Xenova/clip-vit-base-patch32/resolve/${CLIP_REVISION}`,
  dim: 512,
  files: [
    {
      path: 'config.json',
      bytes: 4524,
      sha256: '493ef57ff783e42d1530c91b53469b7fdf8db8a9c1408e86998fcb7899a4f495',
    },
    {
      path: 'preprocessor_config.json',
      bytes: 520,
      sha256: '6f638fb9401a6d6296feff533ee7efe657b787c49f954f82f5906b36ef2a1b1f',
    },
    {
      path: 'tokenizer.json',
      bytes: 2224119,
      sha256: 'f7f3b7af117d467b58374797691a6438d3e6b9e9cef800dfd5dced7f697a90cd',
      // The content digest of the equivalent export of the same vocabulary shipped beside the
      // pin (openai/clip-vit-base-patch32's tokenizer.json, 3,887,151 bytes).
      equivalent: {
        kind: 'tokenizer',
        digests: ['a323df3a5378b3a3edafbe8ff18d11196b0a6b33b46adfe2f88e9f8279d1d531'],
      },
    },
    {
      path: 'tokenizer_config.json',
      bytes: 775,
      sha256: '60ba2912bc6344c94bc16bbdec27fa1209409167b6f2fdf3cfe9e65462ea3967',
      equivalent: {
        kind: 'tokenizer-config',
        digests: ['0038a8556adc3f4352f1b6acff7cbfe257efc552bb50d1848b73f0c8d34a8944'],
      },
    },
    {
      path: 'onnx/vision_model_quantized.onnx',
      bytes: 89117001,
      sha256: '583fd1110a514667812fee7d684952aaf82a99b959760c8d7dca7e0ab9839299',
    },
    {
      path: 'onnx/text_model_quantized.onnx',
      bytes: 64504507,
      sha256: '73baab855d406190da9faa498cfedf65f15cf309f4cc7385b7b032e6d08e5c3a',
    },
  ],
  visionModel: 'onnx/vision_model_quantized.onnx',
  textModel: 'onnx/text_model_quantized.onnx',
  tokenizerProbe: { text: 'a photo of a cat', ids: [49406, 320, 1125, 539, 320, 2368, 49407] },
};

/** Every model `shoebox models fetch` accepts, by id. */
export const KNOWN_MODELS: ReadonlyMap<string, ModelManifest> = new Map([
  [CLIP_VIT_B32.id, CLIP_VIT_B32],
]);
