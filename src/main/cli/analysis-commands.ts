// `duplicates`, `similar`, `clusters`, `colours` and `map`: the analysis engine from the command
// line, with the JSON shapes of the design's cli.md. Paths in JSON are absolute.
import { resolve } from 'node:path';
import type { Library } from '../engine/library.ts';
import type { Command, CommandContext } from './commands.ts';
import { positiveInteger, round } from './numbers.ts';
import { UsageError, WorkError } from './errors.ts';

async function withLibrary<T>(
  context: CommandContext,
  work: (library: Library) => Promise<T>,
): Promise<T> {
  const library = await context.openLibrary();
  try {
    // Photos found but not yet indexed (an interrupted run) are finished first, so the answer
    // covers the whole library.
    await library.whenIdle();
    return await work(library);
  } finally {
    await library.close();
  }
}

export const duplicatesCommand: Command = {
  summary: 'near-duplicate groups at a cosine threshold',
  usage: 'duplicates [--threshold T]',
  options: { threshold: { type: 'string' } },
  run: (context) =>
    withLibrary(context, async (library) => {
      const raw = context.options.threshold;
      const threshold = raw === undefined ? undefined : Number(raw);
      if (threshold !== undefined && !(threshold >= -1 && threshold <= 1)) {
        throw new UsageError(
          `--threshold takes a cosine similarity from -1 to 1, not "${String(raw)}".`,
        );
      }
      const view = await library.analysis.duplicates({ threshold });
      context.output.result(
        {
          threshold: view.threshold,
          model: view.model,
          groups: view.groups.map((group) => ({
            id: group.id,
            tier: group.tier,
            members: group.members.map((m) => ({ path: m.photo.path, keep: m.keep, why: m.why })),
            minSimilarity: round(group.minSimilarity),
          })),
        },
        () => {
          if (view.groups.length === 0)
            return `No duplicates at threshold ${view.threshold} (${view.model}).`;
          const lines = [
            `${view.totals.groups} group${view.totals.groups === 1 ? '' : 's'} at threshold ${view.threshold} (${view.model}); ` +
              `removing the suggestions would free ${megabytes(view.totals.bytesFreed)}.`,
          ];
          for (const group of view.groups) {
            lines.push(
              '',
              `${group.tier === 'identical' ? 'Identical files' : `Similar (≥ ${group.minSimilarity.toFixed(3)})`}:`,
            );
            for (const m of group.members)
              lines.push(`  ${m.keep ? 'keep  ' : 'remove'} ${m.photo.path}  (${m.why})`);
          }
          return lines.join('\n');
        },
      );
    }),
};

export const similarCommand: Command = {
  summary: 'the photos most like an image (which may be outside the library)',
  usage: 'similar <image> [--k K] [--by content|colour]',
  options: { k: { type: 'string' }, by: { type: 'string' } },
  run: (context) =>
    withLibrary(context, async (library) => {
      if (context.args.length !== 1)
        throw new UsageError('similar takes one image: shoebox similar <image>');
      const by = context.options.by ?? 'content';
      if (by !== 'content' && by !== 'colour')
        throw new UsageError('--by takes content or colour.');
      const k = positiveInteger(context.options.k, 'k', 10);
      const query = resolve(context.args[0]!);
      const inLibrary = library.photoIdByPath(query);
      const results = await (
        inLibrary !== null
          ? library.analysis.similarToPhoto(inLibrary, { by, k })
          : library.analysis.similarToFile(query, { by, k })
      ).catch((error: unknown) => {
        throw new WorkError(error instanceof Error ? error.message : String(error));
      });
      context.output.result(
        { query, results: results.map((r) => ({ path: r.photo.path, score: round(r.score) })) },
        () =>
          results.map((r) => `${r.score.toFixed(3)}  ${r.photo.path}`).join('\n') ||
          'No similar photos.',
      );
    }),
};

export const clustersCommand: Command = {
  summary: 'clusters of the library and their medoids',
  usage: 'clusters [--k auto|N]',
  options: { k: { type: 'string' } },
  run: (context) =>
    withLibrary(context, async (library) => {
      const raw = context.options.k;
      const k = raw === undefined || raw === 'auto' ? 'auto' : positiveInteger(raw, 'k', 1);
      const view = await library.analysis.clusters({ k });
      const clusters: { id: number; medoid: string; size: number; members: string[] }[] = [];
      for (const card of view.clusters) {
        const members = await library.analysis.clusterMembers(card.id, 0, card.size);
        clusters.push({
          id: card.id,
          medoid: card.medoid.path,
          size: card.size,
          members: members.members.map((m) => m.photo.path),
        });
      }
      context.output.result(
        {
          k: view.k,
          method: view.method,
          reason: view.reason,
          scores: {
            silhouette: view.scores.silhouette.map((s) => ({ k: s.k, value: round(s.value) })),
            daviesBouldin: view.scores.daviesBouldin.map((s) => ({
              k: s.k,
              value: round(s.value),
            })),
            elbow: view.scores.elbow.map((s) => ({ k: s.k, cost: round(s.cost) })),
          },
          clusters,
        },
        () =>
          [
            `${view.k} clusters (${view.method}, ${view.model}):`,
            view.reason,
            ...clusters.map((c) => `  #${c.id}  ${c.size} photos, represented by ${c.medoid}`),
          ].join('\n'),
      );
    }),
};

export const coloursCommand: Command = {
  summary: 'photos whose palettes best match the colours given',
  usage: 'colours <#rrggbb>[,<#rrggbb>...] [--k K]',
  options: { k: { type: 'string' } },
  run: (context) =>
    withLibrary(context, async (library) => {
      if (context.args.length !== 1)
        throw new UsageError(
          'colours takes a comma-separated list: shoebox colours "#aa3322,#ffffff"',
        );
      const colours = context.args[0]!.split(',').map((hex) => hex.trim());
      if (colours.length > 5 || colours.some((hex) => !/^#?[0-9a-f]{6}$/i.test(hex))) {
        throw new UsageError('colours takes one to five colours written as #rrggbb.');
      }
      const k = positiveInteger(context.options.k, 'k', 20);
      const results = await library.analysis.byColours(
        colours.map((hex) => ({ hex: hex.startsWith('#') ? hex : `#${hex}` })),
        { k },
      );
      context.output.result(
        {
          results: results.map((r) => ({
            path: r.photo.path,
            score: round(r.score),
            palette: r.palette ?? [],
          })),
        },
        () =>
          results
            .map((r) => `${r.score.toFixed(3)}  ${(r.palette ?? []).join(' ')}  ${r.photo.path}`)
            .join('\n') || 'No photos yet.',
      );
    }),
};

export const mapCommand: Command = {
  summary: 'the 2-D layout the Map screen shows',
  usage: 'map',
  run: (context) =>
    withLibrary(context, async (library) => {
      let view = await library.analysis.map();
      while (view.state === 'computing') {
        context.output.log(`Laying out the map: ${Math.round(view.progress * 100)}%`);
        await library.analysis.whenLayoutDone();
        view = await library.analysis.map();
      }
      // Cluster colours come from the clustering, computed once if it is not stored yet.
      if (view.points.some((p) => p.cluster < 0) && view.points.length > 0) {
        await library.analysis.clusters();
        view = await library.analysis.map();
      }
      const paths = library.photoPathsById(view.points.map((p) => p.id));
      const points = view.points.flatMap((p) => {
        const path = paths.get(p.id);
        return path ? [{ path, x: round(p.x), y: round(p.y), cluster: p.cluster }] : [];
      });
      context.output.result(
        { points },
        () => `${points.length} photos laid out (${view.model}); use --json for the coordinates.`,
      );
    }),
};

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
