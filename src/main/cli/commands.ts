// The commands of `shoebox`, exactly as in the design's cli.md. Each takes parsed arguments and
// an open library, prints through Output, and throws UsageError / WorkError for exits 2 / 1.
import type { Library } from '../engine/library.ts';
import { FolderError } from '../engine/library.ts';
import { UsageError, WorkError } from './errors.ts';
import type { Output } from './output.ts';
import { NoTextModelError } from '../engine/embed/text-search.ts';
import { runModels } from './models-command.ts';
import { peopleCommand } from './people-command.ts';
import { positiveInteger, round } from './numbers.ts';
import {
  clustersCommand,
  coloursCommand,
  duplicatesCommand,
  mapCommand,
  similarCommand,
} from './analysis-commands.ts';

export interface CommandContext {
  args: string[];
  libraryDir: string;
  options: Record<string, string | boolean | undefined>;
  output: Output;
  openLibrary(options?: { watch?: boolean }): Promise<Library>;
}

export interface Command {
  summary: string;
  usage: string;
  /** Options this command accepts beyond --library, --json and --help. */
  options?: Record<string, { type: 'string' | 'boolean' }>;
  run(context: CommandContext): Promise<void>;
}

export const commands: Record<string, Command> = {
  index: {
    summary: 'add folders to the library and bring the catalog fully up to date',
    usage: 'index <folder>...',
    async run({ args, output, openLibrary }) {
      if (args.length === 0)
        throw new UsageError('index needs at least one folder: shoebox index <folder>...');
      const library = await openLibrary();
      try {
        const folders = [];
        for (const path of args) {
          try {
            folders.push(await library.registerFolder(path));
          } catch (error) {
            if (error instanceof FolderError) throw new WorkError(error.message);
            throw error;
          }
        }
        const onProgress = output.progress.bind(output);
        library.on('progress', onProgress);
        library.on('notice', (notice) => output.log(notice.message));
        // A one-shot run does not wait out a full disk: it stops, says why, and the next run
        // carries on where this one stopped.
        const paused = new Promise<never>((_, reject) =>
          library.once('indexingPaused', (reason) =>
            reject(
              new WorkError(
                `indexing paused: ${reason}; put it right and run \`shoebox index\` again (nothing done so far is lost).`,
              ),
            ),
          ),
        );
        const report = await Promise.race([library.sync(folders), paused]);
        library.off('progress', onProgress);
        output.endProgress();
        const failed = library.listFailures(folders.map((folder) => folder.id));
        output.result(
          {
            indexed: report.indexed,
            unchanged: report.unchanged,
            removed: report.removed.length,
            failed,
            seconds: Math.round(report.seconds * 100) / 100,
          },
          () => {
            const lines = [
              `Indexed ${report.indexed} photo${report.indexed === 1 ? '' : 's'} in ${report.seconds.toFixed(1)} s` +
                ` (${report.unchanged} unchanged, ${report.removed.length} removed${report.moved.length ? `, ${report.moved.length} moved` : ''}).`,
            ];
            if (failed.length > 0) {
              lines.push(
                `${failed.length} file${failed.length === 1 ? '' : 's'} could not be indexed:`,
              );
              for (const failure of failed) lines.push(`  ${failure.path}: ${failure.reason}`);
            }
            return lines.join('\n');
          },
        );
      } finally {
        await library.close();
      }
    },
  },

  status: {
    summary: 'what the library holds',
    usage: 'status',
    async run({ output, openLibrary }) {
      const library = await openLibrary();
      try {
        const status = library.status();
        output.result(
          {
            folders: status.folders,
            photos: status.photos,
            failed: status.failed,
            model: status.model,
          },
          () =>
            [
              `Library: ${library.dir}`,
              status.folders.length > 0
                ? `Folders:\n${status.folders.map((f) => `  ${f}`).join('\n')}`
                : 'Folders: none yet (add one with `shoebox index <folder>`)',
              `Photos: ${status.photos} indexed, ${status.failed} failed${status.pending > 0 ? `, ${status.pending} waiting` : ''}`,
              `Model: ${status.model.id} (${status.model.dim} dimensions)`,
            ].join('\n'),
        );
      } finally {
        await library.close();
      }
    },
  },

  duplicates: duplicatesCommand,
  similar: similarCommand,
  clusters: clustersCommand,
  colours: coloursCommand,
  map: mapCommand,
  people: peopleCommand,
  search: {
    summary: 'CLIP text search (needs a CLIP model)',
    usage: 'search "<text>" [--k K]',
    options: { k: { type: 'string' } },
    async run({ args, options, output, openLibrary }) {
      if (args.length !== 1) throw new UsageError('search takes one text: shoebox search "<text>"');
      const k = positiveInteger(options.k, 'k', 20);
      const library = await openLibrary();
      try {
        const hits = await library.searchText(args[0]!, k).catch((error: unknown) => {
          if (error instanceof NoTextModelError) throw new WorkError(error.message);
          throw error;
        });
        output.result(
          { results: hits.map((hit) => ({ path: hit.photo.path, score: round(hit.score) })) },
          () =>
            hits.length === 0
              ? 'No photos have been embedded with the model yet.'
              : hits.map((hit) => `${hit.score.toFixed(3)}  ${hit.photo.path}`).join('\n'),
        );
      } finally {
        await library.close();
      }
    },
  },
  models: {
    summary: 'model management',
    usage: 'models [list|fetch <id>|import <dir>|use <id>|remove <id>]',
    async run(context) {
      await runModels(context);
    },
  },
  trash: {
    summary: "the app's trash: list it, move photos in, restore them, empty it to the system trash",
    usage: 'trash [list|add <path>...|restore <path>...|empty]',
    async run({ args, output, openLibrary }) {
      const [action = 'list', ...paths] = args;
      if (!['list', 'add', 'restore', 'empty'].includes(action))
        throw new UsageError(
          `unknown trash action "${action}" (usage: shoebox trash [list|add <path>...|restore <path>...|empty])`,
        );
      if ((action === 'add' || action === 'restore') && paths.length === 0)
        throw new UsageError(`trash ${action} needs at least one photo path`);
      if ((action === 'list' || action === 'empty') && paths.length > 0)
        throw new UsageError(`trash ${action} takes no paths`);
      const library = await openLibrary();
      try {
        type Line = { path: string; outcome: string; reason?: string; restoredTo?: string };
        let outcomes: Line[] | null = null;
        if (action === 'add') outcomes = await library.trash.add(paths);
        else if (action === 'restore') {
          // Never overwrites: a path taken meanwhile gets "name (restored).ext".
          outcomes = await library.trash.restore(paths, { onConflict: 'suffix' });
          // Restored photos are back in the catalog when the command returns.
          await library.whenIdle();
        } else if (action === 'empty') outcomes = await library.trash.empty();
        const items = library.trash
          .list()
          .map((item) => ({ path: item.path, trashedAt: item.trashedAt }));
        const failed = (outcomes ?? []).filter(
          (o) => o.outcome === 'skipped' || o.outcome === 'not-deleted',
        );
        output.result(outcomes ? { items, outcomes } : { items }, () => {
          const lines = (outcomes ?? []).map((o) => {
            if (o.outcome === 'trashed') return `Moved to the trash: ${o.path}`;
            if (o.outcome === 'restored')
              return o.restoredTo && o.restoredTo !== o.path
                ? `Restored ${o.path} as ${o.restoredTo} (another file had taken its name)`
                : `Restored ${o.path}`;
            if (o.outcome === 'emptied') return `Sent to the system trash: ${o.path}`;
            if (o.outcome === 'not-deleted') return `Not deleted: ${o.path}: ${o.reason}`;
            return `Skipped ${o.path}: ${o.reason}`;
          });
          lines.push(
            items.length === 0
              ? "Shoebox's trash is empty."
              : `In Shoebox's trash (${items.length}):\n` +
                  items
                    .map((i) => `  ${new Date(i.trashedAt).toLocaleString()}  ${i.path}`)
                    .join('\n'),
          );
          return lines.join('\n');
        });
        if (failed.length > 0)
          throw new WorkError(
            `${failed.length} of ${outcomes!.length} photo${outcomes!.length === 1 ? '' : 's'} ` +
              `${action === 'empty' ? 'were not deleted' : 'were skipped'} (first: ${failed[0]!.reason}).`,
          );
      } finally {
        await library.close();
      }
    },
  },
  serve: {
    summary: 'serves the full UI to a browser',
    usage: 'serve [--port P] [--host H]',
    options: { port: { type: 'string' }, host: { type: 'string' } },
    // The server (ws, zod, the contract) is loaded only by this command.
    async run(context) {
      const { runServe } = await import('./serve-command.ts');
      await runServe(context);
    },
  },
};
