// A small command-line face on the trash, for the crash harness (which kills it mid-operation)
// until `shoebox trash` is wired to the same API. Run with tsx:
//   node --import tsx src/main/engine/trash/trash-cli-entry.ts --library <dir> --root <folder>
//     [--root <folder>...] [--slow] <list | add <path>... | restore <path>... | empty [<path>...]
//     | reconcile>
// It reconciles the journal first, as the Library does when it opens. Prints one JSON document on
// stdout; "ready" on stderr once the operation itself starts. --slow pauses a random few
// milliseconds between the steps of each move, so a kill can land between any two of them.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openJournal } from '../journal/journal.ts';
import { factsOf } from './file-facts.ts';
import { removePhotos, type RemoveOutcome } from './remove.ts';
import { AppTrash } from './trash.ts';

export async function runTrashEntry(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      library: { type: 'string' },
      root: { type: 'string', multiple: true },
      slow: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const [command, ...paths] = positionals;
  if (!values.library || !command)
    throw new Error('usage: --library <dir> --root <folder> <command>');
  const roots = (values.root ?? []).map((root) => resolve(root));
  const journal = openJournal(resolve(values.library));
  try {
    const trash = new AppTrash(journal, {
      roots: () => roots,
      pause: values.slow
        ? () => new Promise((done) => setTimeout(done, Math.random() * 20))
        : undefined,
    });
    const reconciled = await trash.reconcile();
    process.stderr.write('ready\n');
    switch (command) {
      case 'reconcile':
        return reconciled;
      case 'list':
        return {
          items: trash.list().map((r) => ({ path: r.originalPath, trashedAt: r.trashedAt })),
        };
      case 'add': {
        const outcomes: RemoveOutcome[] = [];
        for (const path of paths.map((p) => resolve(p))) {
          // No earlier review to compare with: what is on disk now is what is removed.
          const facts = await factsOf(path);
          if (!facts) {
            outcomes.push({ path, outcome: 'skipped', reason: 'it is no longer there' });
            continue;
          }
          outcomes.push(
            ...(await removePhotos([{ path, expected: facts }], {
              trash,
              isReferenceFolder: () => false,
            })),
          );
        }
        return { outcomes };
      }
      case 'restore': {
        const results = [];
        for (const path of paths.map((p) => resolve(p))) {
          const record = trash.findByOriginalPath(path);
          if (!record) {
            results.push({ path, ok: false, reason: 'it is not in the trash' });
            continue;
          }
          const restored = await trash.restore(record.id, { onConflict: 'suffix' });
          results.push(
            restored.ok
              ? { path, ok: true, restoredTo: restored.path, identical: restored.identical }
              : { path, ok: false, reason: restored.reason },
          );
        }
        return { results };
      }
      case 'empty': {
        const wanted = new Set(paths.map((p) => resolve(p)));
        const ids =
          wanted.size > 0
            ? trash
                .list()
                .filter((r) => wanted.has(r.originalPath))
                .map((r) => r.id)
            : undefined;
        return { outcomes: await trash.empty(ids) };
      }
      default:
        throw new Error(`unknown command ${command}`);
    }
  } finally {
    journal.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runTrashEntry(process.argv.slice(2)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
