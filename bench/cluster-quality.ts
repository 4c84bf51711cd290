// Clustering quality with automatic k (issue 11, requirement 3): on real images with known
// groups, through the whole indexing pipeline, what k the library's clustering picks and why,
// how big its largest cluster is, how well it agrees with the groups (ARI, purity), and whether
// every near-duplicate group landed in one cluster.
// Run: npx tsx bench/cluster-quality.ts [--sources 24] [--baseline <git ref>]
//
// Data: the families of bench/duplicate-quality.ts (its fixture writer, reused): detailed
// synthetic photos, Google emoji and Pokémon sprites, each with its edited copies (resized,
// recompressed, cropped, brightened, rotated, watermarked, re-encoded) and its other-colour
// versions (a hue rotation, the emoji's skin tones, the shiny sprite). A label is a source
// design: the original, its edits and its other colours (the same picture in other colours
// belongs with it when browsing). ARI is also given against the strict duplicate families.
//
// --baseline <ref> also clusters the same embeddings with clusters.ts as it was at <ref> (its
// automatic k, which knew nothing of near-duplicates), side by side.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { adjustedRandIndex } from '../src/main/engine/analysis/cluster-scores.ts';
import type { ClusterResult, EmbeddingSet } from '../src/main/engine/analysis/clusters.ts';
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
): Promise<(set: EmbeddingSet) => ClusterResult> {
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
  // The options the analysis service passed at the baseline: automatic k, seed 1.
  return (set) => module.clusterEmbeddings(set, { k: 'auto', seed: 1 });
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
    let before: (Quality & { seconds: number; method: string; ref: string }) | null = null;
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

      if (options.baseline) {
        // The same embeddings the library clustered, read through a second connection.
        const catalog = new Catalog(libraryLayout(libraryDir).catalog);
        let set: EmbeddingSet;
        try {
          set = loadEmbeddingSet(catalog, library.models.effectiveSpace());
        } finally {
          catalog.close();
        }
        const pathOf = library.photoPathsById(Array.from(set.ids));
        const cluster = await baselineClusterer(options.baseline, join(root, 'baseline'));
        const startedBefore = performance.now();
        const result = cluster(set);
        const secondsBefore = (performance.now() - startedBefore) / 1000;
        const baselineClusterOf = new Map<string, number>();
        for (const c of result.clusters)
          for (const id of c.memberIds) baselineClusterOf.set(pathOf.get(id)!, c.id);
        before = {
          ...quality(baselineClusterOf, designOf, familyOf, duplicateGroups, result.reason ?? null),
          seconds: round(secondsBefore),
          method: result.method,
          ref: options.baseline,
        };
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
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

if (process.argv[1]?.endsWith('cluster-quality.ts')) {
  const { values } = parseArgs({
    options: { sources: { type: 'string' }, baseline: { type: 'string' } },
  });
  const result = await runClusterQualityBench({
    sources: values.sources ? Number(values.sources) : undefined,
    baseline: values.baseline,
  });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
