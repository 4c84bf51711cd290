// `shoebox models [list|fetch <id>|import <dir>|use <id>|remove <id>]`. Installing (fetch or
// import) makes the model active; the library is re-embedded by the next `index` run, or in the
// background by the app. `use` and `remove` are additions to the design's contract: switching
// and removing a model are part of managing models.
import {
  fetchModel,
  importModel,
  listModels,
  ModelInstallError,
  removeModel,
  type ModelListEntry,
} from '../engine/embed/model-store.ts';
import type { CommandContext } from './commands.ts';
import { UsageError, WorkError } from './errors.ts';

export async function runModels({ args, output, libraryDir }: CommandContext): Promise<void> {
  const [action = 'list', target, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`models ${action} takes one argument.`);
  const needsTarget = (what: string): string => {
    if (!target) throw new UsageError(`models ${action} needs ${what}.`);
    return target;
  };
  try {
    switch (action) {
      case 'list':
        if (target) throw new UsageError('models list takes no argument.');
        break;
      case 'fetch': {
        let lastReport = 0;
        await fetchModel(needsTarget('a model id, e.g. clip-vit-b32'), libraryDir, {
          activate: true,
          onProgress: (p) => {
            if (Date.now() - lastReport < 1000) return;
            lastReport = Date.now();
            const percent = Math.floor((p.bytes / Math.max(1, p.total)) * 100);
            output.log(`Fetching ${p.id}: ${percent}% (${p.file})`);
          },
        });
        break;
      }
      case 'import':
        await importModel(needsTarget('the folder holding the model files'), libraryDir, {
          activate: true,
        });
        break;
      case 'use': {
        const library = await import('../engine/library.ts').then((m) =>
          m.Library.open(libraryDir),
        );
        try {
          await library.useModel(needsTarget('a model id'));
        } finally {
          await library.close();
        }
        break;
      }
      case 'remove':
        await removeModel(needsTarget('a model id'), libraryDir);
        break;
      default:
        throw new UsageError(
          `unknown models action "${action}"; use list, fetch, import, use or remove.`,
        );
    }
  } catch (error) {
    if (error instanceof ModelInstallError) throw new WorkError(error.message);
    throw error;
  }
  const models = await listModels(libraryDir);
  output.result(
    { models: models.map(({ id, installed, active }) => ({ id, installed, active })) },
    () => models.map(describe).join('\n'),
  );
}

function describe(model: ModelListEntry): string {
  const state = model.installed
    ? model.source === 'bundled'
      ? 'installed (bundled)'
      : 'installed'
    : 'not installed';
  return `${model.active ? '*' : ' '} ${model.id.padEnd(14)} ${model.name} — ${state}, ${model.dim} dimensions`;
}
