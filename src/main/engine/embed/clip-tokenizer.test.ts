import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  generateTinyClip,
  TINY_COLOURS,
  type TinyClip,
} from '../../../../test/fixtures/tiny-clip/generate.ts';
import { CLIP_CONTEXT_LENGTH, ClipTokenizer } from './clip-tokenizer.ts';
import { CLIP_VIT_B32 } from './manifest.ts';
import { tokenizerConfigDigest, tokenizerDigest } from './tokenizer-digest.ts';

const assets = process.env.SHOEBOX_CLIP_ASSETS;

describe.skipIf(!assets)('the real CLIP tokenizer (needs SHOEBOX_CLIP_ASSETS)', () => {
  let tokenizer: ClipTokenizer;
  beforeAll(async () => {
    tokenizer = await ClipTokenizer.load(assets!);
  });

  it('encodes like CLIP, padded to 77 with <|endoftext|>', () => {
    expect(tokenizer.ids('a photo of a cat')).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    const { inputIds, attentionMask, count } = tokenizer.encode(['a photo of a cat', 'A Photo!']);
    expect(count).toBe(2);
    expect(inputIds.length).toBe(2 * CLIP_CONTEXT_LENGTH);
    expect(Array.from(inputIds.slice(0, 8), Number)).toEqual([
      49406, 320, 1125, 539, 320, 2368, 49407, 49407,
    ]);
    expect(inputIds[CLIP_CONTEXT_LENGTH - 1]).toBe(49407n);
    expect(Array.from(attentionMask.slice(0, 8), Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
    // Lower-cased, punctuation split off: the same ids for "A Photo!" as for "a photo !".
    const second = Array.from(inputIds.slice(CLIP_CONTEXT_LENGTH, CLIP_CONTEXT_LENGTH + 5), Number);
    expect(second).toEqual([...tokenizer.ids('a photo !').slice(0, 4), 49407]);
  });

  it('truncates long text to 77 ending in <|endoftext|>, as CLIP pools there', () => {
    const { inputIds, attentionMask } = tokenizer.encode(['word '.repeat(200)]);
    expect(inputIds.length).toBe(CLIP_CONTEXT_LENGTH);
    expect(inputIds[0]).toBe(49406n);
    expect(inputIds[CLIP_CONTEXT_LENGTH - 1]).toBe(49407n);
    expect(inputIds[CLIP_CONTEXT_LENGTH - 2]).toBe(BigInt(tokenizer.ids('word')[1]!));
    expect(attentionMask.every((m) => m === 1n)).toBe(true);
  });

  it('has the content digests the manifest accepts for an imported equivalent export', async () => {
    const tok = JSON.parse(await readFile(join(assets!, 'tokenizer.json'), 'utf8')) as unknown;
    const cfg = JSON.parse(
      await readFile(join(assets!, 'tokenizer_config.json'), 'utf8'),
    ) as unknown;
    const files = new Map(CLIP_VIT_B32.files.map((f) => [f.path, f]));
    expect(files.get('tokenizer.json')?.equivalent?.digests).toContain(tokenizerDigest(tok));
    expect(files.get('tokenizer_config.json')?.equivalent?.digests).toContain(
      tokenizerConfigDigest(cfg),
    );
  });
});

describe('the tiny test tokenizer (same format, small vocabulary)', () => {
  let tiny: TinyClip;
  let tokenizer: ClipTokenizer;
  beforeAll(async () => {
    tiny = await generateTinyClip();
    tokenizer = await ClipTokenizer.load(tiny.dir);
  });

  it('merges known words into single tokens and falls back to bytes for others', () => {
    const v = tiny.tokenizer.vocab;
    expect(tokenizer.ids('A RED photo')).toEqual([
      tiny.tokenizer.bos,
      v.get('a</w>'),
      v.get('red</w>'),
      v.get('photo</w>'),
      tiny.tokenizer.eos,
    ]);
    for (const word of Object.keys(TINY_COLOURS)) {
      expect(tokenizer.ids(word)).toEqual([
        tiny.tokenizer.bos,
        v.get(`${word}</w>`),
        tiny.tokenizer.eos,
      ]);
    }
    expect(tokenizer.ids('zq')).toEqual([
      tiny.tokenizer.bos,
      v.get('z'),
      v.get('q</w>'),
      tiny.tokenizer.eos,
    ]);
  });
});

describe('tokenizer content digest', () => {
  it('ignores serialisation but not content', async () => {
    const { tokenizer } = await generateTinyClip();
    const original = tokenizer.json as {
      model: { merges: [string, string][]; vocab: Record<string, number> };
    };
    const reserialised = JSON.parse(JSON.stringify(original)) as {
      model: { merges: unknown[] };
    };
    reserialised.model.merges = original.model.merges.map((m) => m.join(' '));
    const reordered = Object.fromEntries(Object.entries(reserialised).reverse());
    expect(tokenizerDigest(reordered)).toBe(tokenizerDigest(original));

    const changed = JSON.parse(JSON.stringify(original)) as typeof original;
    changed.model.vocab['red</w>'] = 0;
    expect(tokenizerDigest(changed)).not.toBe(tokenizerDigest(original));
    expect(() => tokenizerDigest({ model: {} })).toThrow(/vocabulary/);
  });
});
