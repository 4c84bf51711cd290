// Before packaging a release that bundles its model: downloads the pinned files of each model
// into resources/models/<id>/ (resumable, each file verified against its SHA-256), where the
// app finds them (model-store's `resourcesDir`). On a build machine without internet, install
// them from a folder instead with --from.
//
//   npx tsx scripts/fetch-models.ts [--out resources] [--from <dir>] [<id> ...]
//
// Ids default to every model Shoebox knows (clip-vit-b32). Progress goes to stderr.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KNOWN_MODELS } from '../src/main/engine/embed/manifest.ts';
import {
  fetchModel,
  importModel,
  ModelInstallError,
  type FetchProgress,
} from '../src/main/engine/embed/model-store.ts';

function progressPrinter(): (p: FetchProgress) => void {
  let lastPercent = -1;
  let lastFile = '';
  return (p) => {
    const percent = Math.floor((p.bytes / p.total) * 100);
    if (percent === lastPercent && p.file === lastFile) return;
    lastPercent = percent;
    lastFile = p.file;
    const mb = (n: number) => (n / 1024 ** 2).toFixed(1);
    process.stderr.write(
      `\r${p.id}: ${percent}% (${mb(p.bytes)} of ${mb(p.total)} MB) ${p.file}   `,
    );
  };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string', default: 'resources' }, from: { type: 'string' } },
  });
  // The resources folder plays the library's part: files land in <out>/models/<id>/.
  const out = resolve(values.out);
  const ids = positionals.length > 0 ? positionals : [...KNOWN_MODELS.keys()];
  for (const id of ids) {
    try {
      const model = values.from
        ? await importModel(resolve(values.from), out, { id, activate: false })
        : await fetchModel(id, out, { onProgress: progressPrinter(), activate: false });
      process.stderr.write(`\n${id}: verified in ${model.dir}\n`);
    } catch (err) {
      process.stderr.write(`\n${err instanceof ModelInstallError ? err.message : String(err)}\n`);
      return 1;
    }
  }
  return 0;
}

process.exitCode = await main();
