// The embedding step end to end with a real ONNX model (the tiny generated CLIP): installing a
// model re-embeds the library in the background while photos stay browsable, text search ranks
// by the model, and removing the model falls back to the fingerprint.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../../test/helpers/temp.ts';
import {
  generateTinyClip,
  TINY_CLIP_ID,
  type TinyClip,
} from '../../../test/fixtures/tiny-clip/generate.ts';
import { importModel, removeModel } from './embed/model-store.ts';
import { NoTextModelError } from './embed/text-search.ts';
import { Library } from './library.ts';

let work: { path: string; remove(): Promise<void> };
let library: Library | null = null;
let tiny: TinyClip;

const solid = (r: number, g: number, b: number) =>
  sharp({ create: { width: 300, height: 200, channels: 3, background: { r, g, b } } })
    .jpeg()
    .toBuffer();

beforeEach(async () => {
  work = await makeTempDir();
  tiny = await generateTinyClip();
});
afterEach(async () => {
  await library?.close();
  library = null;
  await work.remove();
});

describe('embedding models', () => {
  it('re-embeds on install, searches by text, and falls back when the model is removed', async () => {
    const photos = join(work.path, 'Photos');
    await mkdir(photos);
    await writeFile(join(photos, 'red.jpg'), await solid(230, 20, 20));
    await writeFile(join(photos, 'green.jpg'), await solid(20, 210, 30));
    await writeFile(join(photos, 'blue.jpg'), await solid(25, 30, 220));
    const libraryDir = join(work.path, 'library');
    const store = { manifests: new Map([[TINY_CLIP_ID, tiny.manifest]]) };
    library = await Library.open(libraryDir, {
      workers: 1,
      models: store,
      labelVocabulary: ['red', 'green', 'blue', 'yellow'],
    });
    await library.sync([await library.registerFolder(photos)]);
    expect(library.status().model).toEqual({ id: 'fingerprint', dim: expect.any(Number) });
    await expect(library.searchText('red', 3)).rejects.toBeInstanceOf(NoTextModelError);

    await importModel(tiny.dir, libraryDir, { ...store, id: TINY_CLIP_ID, activate: true });
    const queued = await library.models.refresh();
    expect(queued).toBe(3);
    // The photos stay indexed and browsable while they are re-embedded.
    expect(library.listPhotos({ sort: 'name', offset: 0, limit: 10 }).total).toBe(3);
    await library.whenIdle();
    expect(library.status()).toMatchObject({
      model: { id: TINY_CLIP_ID, dim: 512 },
      modelProgress: { embedded: 3, total: 3 },
      failed: 0,
    });
    expect(library.models.effectiveSpace().modelId).toBe(TINY_CLIP_ID);

    const red = await library.searchText('red', 3);
    expect(red.map((hit) => hit.photo.path.slice(photos.length + 1))).toEqual([
      'red.jpg',
      expect.any(String),
      expect.any(String),
    ]);
    expect(red[0]!.score).toBeGreaterThan(red[1]!.score);
    const blue = await library.searchText('a photo of blue', 1);
    expect(blue[0]!.photo.path).toBe(join(photos, 'blue.jpg'));

    // Analysis now runs in the model's space, and clusters get zero-shot labels.
    const clusters = await library.analysis.clusters({ k: 3 });
    expect(clusters.model).toBe(TINY_CLIP_ID);
    expect(
      clusters.clusters.map((c) => [c.label, c.medoid.path.slice(photos.length + 1)]).sort(),
    ).toEqual([
      ['blue', 'blue.jpg'],
      ['green', 'green.jpg'],
      ['red', 'red.jpg'],
    ]);

    // A new photo is embedded as part of indexing, from the same decode.
    await writeFile(join(photos, 'yellow.jpg'), await solid(240, 230, 20));
    expect((await library.sync()).indexed).toBe(1);
    expect(library.status().modelProgress).toEqual({ embedded: 4, total: 4 });
    expect((await library.searchText('yellow', 1))[0]!.photo.path).toBe(join(photos, 'yellow.jpg'));

    await removeModel(TINY_CLIP_ID, libraryDir, store);
    await library.models.refresh();
    expect(library.status().model.id).toBe('fingerprint');
    expect(library.models.effectiveSpace().modelId).toBe('fingerprint');
    await expect(library.searchText('red', 3)).rejects.toThrow(/needs a CLIP model/);
  });
});
