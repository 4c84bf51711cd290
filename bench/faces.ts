// Faces benchmark (issue 12): how well faces group into people, how fast faces are found, and
// what looking for faces costs a library of photos without people.
//
// 1. A labelled set of real faces, built from the six sample photos @vladmandic/face-api ships
//    (group photos, 22 faces): each photo and seven edited copies of it (mirrored, brighter,
//    darker, cropped to its middle 80 %, half size, JPEG quality 40, stored sideways with an EXIF
//    orientation). A face in a copy is labelled with the original face it lands on; faces of one
//    original are one person, different originals different people. The set is indexed through
//    the real pipeline (two workers), and the stored descriptors are grouped at several distances
//    to report pairwise precision and recall of the person groups.
//    Honest about the labels: a copy is the same picture edited, not another photo of the person,
//    so recall here is an upper bound for real libraries; and the sample photos may show the same
//    woman twice under different labels, so "precision" counts such a pair as a mistake. Pairs of
//    two faces from one photo are certainly two people: their merges are reported on their own.
// 2. Faces per second while indexing that set, two workers.
// 3. Indexing rate with faces on and off, side by side in alternating runs, on camera-sized
//    JPEGs without people (target: on >= 0.7x off).
// Run: npx tsx bench/faces.ts [--photos 60] [--runs 3] [--quality-only | --rates-only]
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp, { type Sharp } from 'sharp';
import { Catalog } from '../src/main/engine/catalog/catalog.ts';
import { FaceStore } from '../src/main/engine/faces/face-store.ts';
import {
  FaceGraph,
  MIN_NEIGHBOURS,
  NEIGHBOUR_DISTANCE,
  groupFaces,
} from '../src/main/engine/faces/grouping.ts';
import { Library } from '../src/main/engine/library.ts';
import { libraryLayout } from '../src/main/engine/paths.ts';
import { cameraFolder, shoebox } from './indexing.ts';
import { machine, median } from './machine.ts';

const DATA_ROOT = join(tmpdir(), 'shoebox-bench');
const SAMPLES = join(
  dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
  'demo',
);

interface Variant {
  name: string;
  make: (image: Sharp) => Sharp;
  /** Where a point of the original (fractions) lands in the copy; null when cropped away. */
  map: (x: number, y: number) => [number, number] | null;
}

const same = (x: number, y: number): [number, number] => [x, y];
const VARIANTS: Variant[] = [
  { name: 'original', make: (i) => i.jpeg({ quality: 92 }), map: same },
  { name: 'mirrored', make: (i) => i.flop().jpeg({ quality: 92 }), map: (x, y) => [1 - x, y] },
  { name: 'brighter', make: (i) => i.modulate({ brightness: 1.25 }).jpeg(), map: same },
  { name: 'darker', make: (i) => i.modulate({ brightness: 0.75 }).jpeg(), map: same },
  {
    name: 'cropped',
    make: (i) => i, // made below: needs the size
    map: (x, y) => {
      const u = (x - 0.1) / 0.8;
      const v = (y - 0.1) / 0.8;
      return u >= 0 && u <= 1 && v >= 0 && v <= 1 ? [u, v] : null;
    },
  },
  { name: 'half', make: (i) => i, map: same },
  { name: 'q40', make: (i) => i.jpeg({ quality: 40 }), map: same },
  {
    name: 'sideways-exif',
    make: (i) => i.rotate(-90).withMetadata({ orientation: 6 }).jpeg(),
    map: same,
  },
];

async function labelledSet(): Promise<string> {
  const dir = join(DATA_ROOT, 'faces-labelled-v1');
  await mkdir(dir, { recursive: true });
  for (let n = 1; n <= 6; n++) {
    const source = await readFile(join(SAMPLES, `sample${n}.jpg`));
    const { width, height } = await sharp(source).metadata();
    for (const variant of VARIANTS) {
      let image = sharp(source);
      if (variant.name === 'cropped') {
        image = image
          .extract({
            left: Math.round(width! * 0.1),
            top: Math.round(height! * 0.1),
            width: Math.round(width! * 0.8),
            height: Math.round(height! * 0.8),
          })
          .jpeg();
      } else if (variant.name === 'half') {
        image = image.resize(Math.round(width! / 2)).jpeg();
      } else image = variant.make(image);
      await writeFile(join(dir, `s${n}-${variant.name}.jpg`), await image.toBuffer());
    }
  }
  return dir;
}

interface LabelledFace {
  id: number;
  key: string;
  descriptor: Float32Array;
  /** `<sample>:<face index in the original>`, or null when it matched no original face. */
  label: string | null;
  sample: number;
}

/** Pairwise precision/recall of a grouping against the labels (unlabelled faces left out). */
function pairScores(faces: LabelledFace[], personOf: ReadonlyMap<number, number | null>) {
  const labelled = faces.filter((f) => f.label !== null);
  let truePairs = 0;
  let predicted = 0;
  let correct = 0;
  let samePhotoMerges = 0;
  for (let i = 0; i < labelled.length; i++) {
    for (let j = i + 1; j < labelled.length; j++) {
      const a = labelled[i]!;
      const b = labelled[j]!;
      const sameLabel = a.label === b.label;
      const pa = personOf.get(a.id);
      const together = pa !== null && pa !== undefined && pa === personOf.get(b.id);
      if (sameLabel) truePairs += 1;
      if (together) predicted += 1;
      if (together && sameLabel) correct += 1;
      if (together && !sameLabel && a.sample === b.sample) samePhotoMerges += 1;
    }
  }
  return {
    precision: predicted === 0 ? 1 : correct / predicted,
    recall: truePairs === 0 ? 1 : correct / truePairs,
    wrongPairs: predicted - correct,
    samePhotoMerges,
  };
}

async function qualityAndSpeed(log: (line: string) => void) {
  const folder = await labelledSet();
  const libraryDir = join(DATA_ROOT, `faces-library-${process.pid}`);
  await rm(libraryDir, { recursive: true, force: true });
  const started = performance.now();
  const library = await Library.open(libraryDir, { workers: 2 });
  let photos: number;
  try {
    photos = (await library.sync([await library.registerFolder(folder)])).indexed;
  } finally {
    await library.close();
  }
  const seconds = (performance.now() - started) / 1000;

  const catalog = new Catalog(libraryLayout(libraryDir).catalog);
  try {
    const store = new FaceStore(catalog);
    const stored = store.facesForGrouping();
    const pathOf = new Map(
      (
        catalog.db.prepare(`SELECT content_hash AS hash, path FROM photos`).all() as {
          hash: string;
          path: string;
        }[]
      ).map((row) => [row.hash, row.path]),
    );
    const boxes = store.facesByIds(stored.map((f) => f.id));
    const centre = (id: number) => {
      const b = boxes.get(id)!.box;
      return [b.x + b.width / 2, b.y + b.height / 2] as const;
    };
    const info = stored.map((face) => {
      const path = pathOf.get(face.key.split(':')[0]!)!;
      const match = /s(\d)-([a-z0-9-]+)\.jpg$/.exec(path)!;
      return { face, sample: Number(match[1]), variant: match[2]! };
    });
    const originals = info.filter((f) => f.variant === 'original');
    const faces: LabelledFace[] = info.map(({ face, sample, variant }) => {
      const mapping = VARIANTS.find((v) => v.name === variant)!;
      const [x, y] = centre(face.id);
      let label: string | null = null;
      let best = 0.04;
      for (const o of originals.filter((f) => f.sample === sample)) {
        const [ox, oy] = centre(o.face.id);
        const landed = mapping.map(ox, oy);
        if (!landed) continue;
        const d = Math.hypot(landed[0] - x, landed[1] - y);
        if (d < best) {
          best = d;
          label = `${sample}:${o.face.key.split(':')[1]}`;
        }
      }
      return { id: face.id, key: face.key, descriptor: face.descriptor, label, sample };
    });
    const sweep = [];
    for (const minNeighbours of [1, 2]) {
      for (const distance of [0.35, 0.4, 0.45, 0.5, 0.55, 0.6]) {
        const graph = new FaceGraph(distance);
        graph.update(faces);
        let next = 1;
        const grouping = groupFaces(
          graph,
          faces,
          new Map(),
          new Map(),
          () => next++,
          minNeighbours,
        );
        const scores = pairScores(faces, grouping.personOf);
        sweep.push({
          distance,
          minNeighbours,
          default: distance === NEIGHBOUR_DISTANCE && minNeighbours === MIN_NEIGHBOURS,
          people: grouping.people.length,
          ...scores,
          precision: Number(scores.precision.toFixed(3)),
          recall: Number(scores.recall.toFixed(3)),
        });
        log(
          `  distance ${distance} min ${minNeighbours}: P ${scores.precision.toFixed(3)} R ${scores.recall.toFixed(3)}, ${grouping.people.length} people`,
        );
      }
    }
    return {
      data: `6 face-api sample photos x ${VARIANTS.length} edits (${VARIANTS.map((v) => v.name).join(', ')})`,
      photos,
      faces: faces.length,
      labelledFaces: faces.filter((f) => f.label !== null).length,
      labels: new Set(faces.map((f) => f.label).filter(Boolean)).size,
      indexing: {
        seconds: Number(seconds.toFixed(1)),
        photosPerSecond: Number((photos / seconds).toFixed(2)),
        facesPerSecond: Number((faces.length / seconds).toFixed(2)),
        note: 'end to end with two workers, including starting them and loading the face models',
      },
      sweep,
    };
  } finally {
    catalog.close();
    await rm(libraryDir, { recursive: true, force: true });
  }
}

/** Indexing rate through the library, faces on or off, and how many faces it found. */
function indexRate(folder: string, count: number, faces: boolean) {
  return shoebox(folder, count, { workers: 2, faces }, (library) => {
    const found = library.people.list();
    return { faces: found.unclustered + found.persons.reduce((n, p) => n + p.faceCount, 0) };
  });
}

export interface FacesBenchOptions {
  photos?: number;
  runs?: number;
  /** Only the labelled set (grouping quality and faces/s), not the faces on/off rates. */
  qualityOnly?: boolean;
  /** Only the faces on/off rates. */
  ratesOnly?: boolean;
  log?: (line: string) => void;
}

export async function runFacesBench(options: FacesBenchOptions = {}) {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const count = options.photos ?? 60;
  const runs = options.runs ?? 3;
  if (!options.ratesOnly) log('faces: grouping quality and speed on the labelled set');
  const quality = options.ratesOnly ? null : await qualityAndSpeed(log);
  if (options.qualityOnly) return { machine: machine(), quality };

  const folder = await cameraFolder(count, 4000, 3000);
  const on: { endToEnd: number; steady: number; faces: number }[] = [];
  const off: typeof on = [];
  for (let run = 0; run < runs; run++) {
    // Alternating, so a change in the machine's load falls on both sides.
    off.push(await indexRate(folder, count, false));
    on.push(await indexRate(folder, count, true));
    log(
      `  run ${run + 1}: off ${off.at(-1)!.steady.toFixed(1)} photos/s, on ${on.at(-1)!.steady.toFixed(1)} photos/s (steady)`,
    );
  }
  const summary = (list: typeof on) => ({
    endToEnd: Number(median(list.map((r) => r.endToEnd)).toFixed(2)),
    steady: Number(median(list.map((r) => r.steady)).toFixed(2)),
    facesFound: Math.max(...list.map((r) => r.faces)),
  });
  const facesOn = summary(on);
  const facesOff = summary(off);
  return {
    machine: machine(),
    quality,
    withoutPeople: {
      data: `${count} camera-sized JPEGs (4000x3000, q90, no people), two workers, ${runs} alternating runs, medians`,
      facesOff,
      facesOn,
      ratioSteady: Number((facesOn.steady / facesOff.steady).toFixed(3)),
      ratioEndToEnd: Number((facesOn.endToEnd / facesOff.endToEnd).toFixed(3)),
      target: 0.7,
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      photos: { type: 'string' },
      runs: { type: 'string' },
      'quality-only': { type: 'boolean' },
      'rates-only': { type: 'boolean' },
    },
  });
  const result = await runFacesBench({
    photos: values.photos ? Number(values.photos) : undefined,
    runs: values.runs ? Number(values.runs) : undefined,
    qualityOnly: values['quality-only'],
    ratesOnly: values['rates-only'],
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
