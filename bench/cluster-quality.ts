// Clustering quality with automatic k (issue 11, requirement 3): on real images with known
// groups, through the whole indexing pipeline, what k the library's clustering picks and why,
// how big its largest cluster is, how well it agrees with the groups (ARI, purity), and whether
// every near-duplicate group landed in one cluster.
// Run: npx tsx bench/cluster-quality.ts [--sources 24] [--baseline <git ref>] [--previous <git ref>]
//      [--orders N]
//
// Data: the families of bench/duplicate-quality.ts (its fixture writer, reused): detailed
// synthetic photos, Google emoji and Pokémon sprites, each with its edited copies (resized,
// recompressed, cropped, brightened, rotated, watermarked, re-encoded) and its other-colour
// versions (a hue rotation, the emoji's skin tones, the shiny sprite). A label is a source
// design: the original, its edits and its other colours (the same picture in other colours
// belongs with it when browsing). ARI is also given against the strict duplicate families.
//
// --baseline <ref> also clusters the same embeddings with clusters.ts as it was at <ref> (its
// automatic k, given the near-duplicate groups as the service gives them; code from before
// groups ignores them), side by side; --previous <ref> a second ref the same way.
// --orders N clusters the same embeddings again in N row orders (the library's, then seeded
// shuffles) with each code, and reports the median and range of each figure: k-medoids starts
// are drawn by row, and on this set near-equal splits of the emoji and sprites swing ARI from
// 0.09 to 0.20 with the order alone, so one order's figure can mislead.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { adjustedRandIndex, mulberry32 } from '../src/main/engine/analysis/cluster-scores.ts';
import {
  clusterEmbeddings,
  type ClusterResult,
  type EmbeddingSet,
} from '../src/main/engine/analysis/clusters.ts';
import { Catalog } from '../src/main/engine/catalog/catalog.ts';
import { loadEmbeddingSet } from '../src/main/engine/catalog/embedding-sets.ts';
import { Library } from '../src/main/engine/library.ts';
import { libraryLayout } from '../src/main/engine/paths.ts';
import { writeDuplicateFixtures } from './duplicate-quality.ts';
import { machine } from './machine.ts';

export interface ClusterQualityOptions {
  /** Source images (a third each synthetic, emoji, sprites). Default 24: about 290 photos. */
  sources?: number;
  /** A git ref whose clusters.ts is measured on the same embeddings too. */
  baseline?: string;
  /** A second git ref measured the same way (e.g. the code just before a change). */
  previous?: string;
  /** Row orders each code clusters the embeddings in, for the spread of the figures. Default 1. */
  orders?: number;
  log?: (line: string) => void;
}

/** What a clustering scores against the labels; `clusterOf` maps a path to its cluster. */
interface Quality {
  k: number;
  reason: string | null;
  largestShare: number;
  ari: number;
  ariStrictFamilies: number;
  purity: number;
  duplicateGroups: number;
  duplicateGroupsSplit: number;
}

function quality(
  clusterOf: Map<string, number>,
  designOf: Map<string, string>,
  familyOf: Map<string, string>,
  duplicateGroups: string[][],
  reason: string | null,
): Quality {
  const paths = [...designOf.keys()];
  const n = paths.length;
  const ordinal = (values: string[]) => {
    const seen = new Map<string, number>();
    return Int32Array.from(values, (v) => {
      if (!seen.has(v)) seen.set(v, seen.size);
      return seen.get(v)!;
    });
  };
  const clusters = Int32Array.from(paths, (p) => clusterOf.get(p) ?? -1);
  const sizes = new Map<number, Map<string, number>>();
  for (const [i, p] of paths.entries()) {
    const byDesign = sizes.get(clusters[i]!) ?? new Map<string, number>();
    byDesign.set(designOf.get(p)!, (byDesign.get(designOf.get(p)!) ?? 0) + 1);
    sizes.set(clusters[i]!, byDesign);
  }
  let pure = 0;
  let largest = 0;
  for (const byDesign of sizes.values()) {
    pure += Math.max(...byDesign.values());
    largest = Math.max(
      largest,
      [...byDesign.values()].reduce((a, b) => a + b, 0),
    );
  }
  const split = duplicateGroups.filter(
    (group) => new Set(group.map((p) => clusterOf.get(p))).size > 1,
  ).length;
  return {
    k: sizes.size,
    reason,
    largestShare: round(largest / n),
    ari: round(adjustedRandIndex(clusters, ordinal(paths.map((p) => designOf.get(p)!)))),
    ariStrictFamilies: round(
      adjustedRandIndex(clusters, ordinal(paths.map((p) => familyOf.get(p)!))),
    ),
    purity: round(pure / n),
    duplicateGroups: duplicateGroups.length,
    duplicateGroupsSplit: split,
  };
}

/** clusters.ts (and what it imports) as it was at `ref`, loaded from a temporary copy. */
async function baselineClusterer(
  ref: string,
  dir: string,
): Promise<(set: EmbeddingSet, duplicateGroups: Int32Array) => ClusterResult> {
  const root = process.cwd();
  for (const path of [
    'src/main/engine/analysis/clusters.ts',
    'src/main/engine/analysis/cluster-scores.ts',
    'src/shared/seeded-random.ts',
  ]) {
    const text = execFileSync('git', ['show', `${ref}:${path}`], { cwd: root });
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const module = (await import(
    pathToFileURL(join(dir, 'src/main/engine/analysis/clusters.ts')).href
  )) as { clusterEmbeddings: (set: EmbeddingSet, options: object) => ClusterResult };
  // The options the analysis service passes: automatic k, seed 1 and the near-duplicate groups
  // (which code from before groups ignores).
  return (set, duplicateGroups) =>
    module.clusterEmbeddings(set, { k: 'auto', seed: 1, duplicateGroups });
}

/** The same embeddings (and groups) with their rows in another order; ids go with their rows. */
function reordered(
  set: EmbeddingSet,
  groups: Int32Array,
  order: Int32Array,
): { set: EmbeddingSet; groups: Int32Array } {
  const { dim } = set;
  const vectors = new Float32Array(set.vectors.length);
  order.forEach((row, i) => vectors.set(set.vectors.subarray(row * dim, row * dim + dim), i * dim));
  return {
    set: { ids: Int32Array.from(order, (row) => set.ids[row]!), vectors, dim },
    groups: Int32Array.from(order, (row) => groups[row]!),
  };
}

/** The library's order first, then seeded shuffles. */
function rowOrders(n: number, count: number): Int32Array[] {
  const random = mulberry32(11);
  const orders = [Int32Array.from({ length: n }, (_, i) => i)];
  while (orders.length < count) {
    const order = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    orders.push(order);
  }
  return orders;
}

type Spread = { median: number; min: number; max: number };
function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: round(median), min: round(sorted[0]!), max: round(sorted.at(-1)!) };
}

export async function runClusterQualityBench(options: ClusterQualityOptions = {}) {
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const root = join(tmpdir(), `shoebox-cluster-quality-${process.pid}`);
  const photos = join(root, 'Photos');
  await rm(root, { recursive: true, force: true });
  await mkdir(photos, { recursive: true });
  try {
    const { familyOf, families } = await writeDuplicateFixtures(photos, {
      sources: options.sources ?? 24,
      log,
    });
    // A design is a family's source: "sprite7-other-colours-0" and "photo3-recoloured" belong to
    // "sprite7" and "photo3".
    const designOf = new Map(
      [...familyOf].map(([path, family]) => [
        path,
        family.replace(/-(recoloured|other-colours-\d+)$/, ''),
      ]),
    );
    const libraryDir = join(root, 'library');
    const library = await Library.open(libraryDir);
    let after: Quality & { seconds: number; method: string };
    type Measured = Quality & { seconds: number; method: string; ref: string };
    let before: Measured | null = null;
    let previous: Measured | null = null;
    const spreads: Record<string, Record<string, Spread>> = {};
    let model: string;
    try {
      await library.sync([await library.registerFolder(photos)]);
      const duplicates = await library.analysis.duplicates();
      model = duplicates.model;
      const duplicateGroups = duplicates.groups.map((g) => g.members.map((m) => m.photo.path));
      const started = performance.now();
      const view = await library.analysis.clusters();
      const seconds = (performance.now() - started) / 1000;
      const clusterOf = new Map<string, number>();
      for (const card of view.clusters) {
        const page = await library.analysis.clusterMembers(card.id, 0, card.size);
        for (const m of page.members) clusterOf.set(m.photo.path, card.id);
      }
      after = {
        ...quality(clusterOf, designOf, familyOf, duplicateGroups, view.reason),
        seconds: round(seconds),
        method: view.method,
      };

      const orders = options.orders ?? 1;
      if (options.baseline || options.previous || orders > 1) {
        // The same embeddings the library clustered, read through a second connection, with
        // each row's near-duplicate group as the analysis service passes it.
        const catalog = new Catalog(libraryLayout(libraryDir).catalog);
        let set: EmbeddingSet;
        try {
          set = loadEmbeddingSet(catalog, library.models.effectiveSpace());
        } finally {
          catalog.close();
        }
        const pathOf = library.photoPathsById(Array.from(set.ids));
        const groupOfPath = new Map<string, number>();
        duplicateGroups.forEach((paths, g) => paths.forEach((path) => groupOfPath.set(path, g)));
        const groups = Int32Array.from(set.ids, (id) => groupOfPath.get(pathOf.get(id)!) ?? -1);
        const measure = (result: ClusterResult) => {
          const of = new Map<string, number>();
          for (const c of result.clusters)
            for (const id of c.memberIds) of.set(pathOf.get(id)!, c.id);
          return quality(of, designOf, familyOf, duplicateGroups, result.reason ?? null);
        };
        type Clusterer = (set: EmbeddingSet, groups: Int32Array) => ClusterResult;
        // This checkout's clustering with the service's options.
        const codes: { name: string; run: Clusterer }[] = [
          {
            name: 'after',
            run: (each, eachGroups) =>
              clusterEmbeddings(each, { k: 'auto', seed: 1, duplicateGroups: eachGroups }),
          },
        ];
        for (const [name, ref] of [
          ['before', options.baseline],
          ['previous', options.previous],
        ] as const) {
          if (!ref) continue;
          const run = await baselineClusterer(ref, join(root, name));
          codes.push({ name, run });
          const startedAt = performance.now();
          const result = run(set, groups);
          const measured: Measured = {
            ...measure(result),
            seconds: round((performance.now() - startedAt) / 1000),
            method: result.method,
            ref,
          };
          if (name === 'before') before = measured;
          else previous = measured;
        }
        if (orders > 1) {
          for (const code of codes) {
            const runs = rowOrders(set.ids.length, orders).map((order) => {
              const r = reordered(set, groups, order);
              return measure(code.run(r.set, r.groups));
            });
            spreads[code.name] = Object.fromEntries(
              (['k', 'largestShare', 'ari', 'purity', 'duplicateGroupsSplit'] as const).map(
                (key) => [key, spread(runs.map((q) => q[key]))],
              ),
            );
            log(`${code.name}: ${orders} row orders measured`);
          }
        }
      }
    } finally {
      await library.close();
    }
    return {
      benchmark: 'cluster-quality',
      machine: machine(),
      model,
      data: {
        photos: designOf.size,
        designs: new Set(designOf.values()).size,
        duplicateFamilies: families,
        sources:
          'detailed synthetic photos, Google emoji, Pokémon sprites (first frames), each with edited copies and other-colour versions',
        labels: 'source design (original + edits + other colours); ariStrictFamilies: edits only',
      },
      target: {
        kAtLeast: 5,
        kAtMost: Math.floor(Math.sqrt(designOf.size)),
        largestShareAtMost: 0.4,
        duplicateGroupsSplit: 0,
        met:
          after.k >= 5 &&
          after.k <= Math.floor(Math.sqrt(designOf.size)) &&
          after.largestShare <= 0.4 &&
          after.duplicateGroupsSplit === 0,
      },
      after,
      before,
      previous,
      /** Median and range over `orders` row orders of the same embeddings, per code. */
      orders: options.orders ?? 1,
      spreads,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

if (process.argv[1]?.endsWith('cluster-quality.ts')) {
  const { values } = parseArgs({
    options: {
      sources: { type: 'string' },
      baseline: { type: 'string' },
      previous: { type: 'string' },
      orders: { type: 'string' },
    },
  });
  const result = await runClusterQualityBench({
    sources: values.sources ? Number(values.sources) : undefined,
    baseline: values.baseline,
    previous: values.previous,
    orders: values.orders ? Number(values.orders) : undefined,
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
