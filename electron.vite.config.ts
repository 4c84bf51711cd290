// Three builds: main (Electron main, the engine host and the engine's worker entries, flat in
// out/main so workers resolve next to the chunk that spawns them), preload (CommonJS, because a
// sandboxed preload cannot be an ES module) and the renderer (React).
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

// Entries that run in their own process or thread. The engine resolves its workers at runtime
// as `<name>.js` beside the built chunk, so each must be an input of its own.
const mainInputs: Record<string, string> = {
  index: resolve(root, 'src/main/index.ts'),
  'engine-host': resolve(root, 'src/main/engine-host/host.ts'),
  'decode-worker': resolve(root, 'src/main/engine/index/decode-worker.ts'),
  'embedding-worker': resolve(root, 'src/main/engine/embed/embedding-worker.ts'),
  'layout-worker': resolve(root, 'src/main/engine/analysis/layout-worker.ts'),
  'analysis-worker': resolve(root, 'src/main/engine/analysis/analysis-worker.ts'),
};

// Native modules load .node binaries from their own folders: never bundle them.
const nativeModules = ['sharp', 'better-sqlite3', 'onnxruntime-node', 'usearch'];

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: mainInputs,
        external: nativeModules,
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          chunkFileNames: '[name]-[hash].js',
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // Bundle everything (zod included): a sandboxed preload can only require electron.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    // Absolute asset URLs: every screen is a route, and a reload of /settings must still find
    // /assets/... (served by the shoebox:// scheme in Electron and by `shoebox serve`).
    // electron-vite forces './' for production builds, so restore '/' after its preset ran.
    plugins: [
      react(),
      { name: 'shoebox:absolute-base', enforce: 'post', config: () => ({ base: '/' }) },
    ],
    build: {
      outDir: resolve(root, 'out/renderer'),
      minify: true,
      rolldownOptions: { input: resolve(root, 'src/renderer/index.html') },
    },
  },
});
