// `npm start` needs Electron's binary, which the electron package downloads on install and which
// may be missing (offline installs, ELECTRON_SKIP_BINARY_DOWNLOAD). Fetch it now through the
// package's own installer, or say in one sentence why the app cannot start.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const electronDir = fileURLToPath(new URL('../node_modules/electron/', import.meta.url));

function binaryPresent() {
  try {
    const relative = readFileSync(`${electronDir}path.txt`, 'utf8').trim();
    return relative !== '' && existsSync(`${electronDir}dist/${relative}`);
  } catch {
    return false;
  }
}

if (!existsSync(`${electronDir}install.js`)) {
  process.stderr.write(
    'shoebox: the electron package is not installed; run `npm install` first.\n',
  );
  process.exit(1);
}

if (!binaryPresent()) {
  process.stderr.write('shoebox: fetching the Electron binary (first start only)...\n');
  const result = spawnSync(process.execPath, [`${electronDir}install.js`], {
    cwd: electronDir,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
  });
  if (result.status !== 0 || !binaryPresent()) {
    const reason =
      (result.stderr || result.error?.message || '').split('\n').find((l) => l.trim()) ?? '';
    process.stderr.write(
      `shoebox: could not download Electron${reason ? ` (${reason.trim()})` : ''}; connect to the network, or use \`npx shoebox serve\` to open Shoebox in a browser instead.\n`,
    );
    process.exit(1);
  }
}
