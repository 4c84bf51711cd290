// Benchmark for the Map screen's frame rate (issue 7: "100k points at 60 fps on an integrated
// GPU; measure it"). `npx tsx bench/map-frames.ts [--quick] [--sizes 10000,100000] [--seconds 4]
// [--runs 2] [--baseline <git ref>] [--zoom-steps <n>] [--screenshots <dir>] [--chromium <path>]
// [--gpu]` prints ONE JSON document on stdout; progress goes to stderr.
// `runMapFramesBench(options)` is the same thing for bench/run.ts.
//
// What runs: the real screen. A synthetic library (n photos with their fingerprint rows, a stored
// neighbour graph, a stored clustered 2-D layout and clusters, one thumbnail file per photo made
// of hard links to 256 small WebPs) is opened by the real engine and served by `shoebox serve`'s
// server; Chromium (headless, WebGL2 through SwiftShader, a 1360x860 window) opens /map. An
// in-page driver then feeds the canvas the events a person would, one batch per animation frame,
// on a timeline (so a slow build gets the same motion in fewer frames, not less motion):
//   - pan-zoom: a drag along a Lissajous path while the wheel zooms between 1x and 4x, all points
//     drawn as dots (the zoomed-out map);
//   - hover: the pointer moving over the map without a button (the hover search and preview);
//   - zoomed: zoomed in until thumbnails have replaced the dots, then dragged. (Before the
//     texture atlases: until at most 160 points were in view, shown as DOM images.)
// Per frame it records the requestAnimationFrame interval, the time spent in the map's own
// animation-frame callback (the draw function: uniforms, draw call, thumbnails in view) and in
// dispatching the events (the input handlers). Around each phase it reads the page's main-thread
// time (Chrome's Performance metrics: every task, React's re-renders included) and the CPU time
// of the renderer and GPU processes (SystemInfo.getProcessInfo). With SwiftShader the GPU process
// is the software rasteriser: its CPU is what a real GPU would take over; the renderer's is what
// would remain on the CPU. CPU times hold up on a busy machine better than wall-clock times do.
//
// --baseline <ref> builds a second copy of the renderer with the map's files as they were at
// <ref> (everything else as in the working tree) and measures both in the same run, alternating.
// Both copies are built by this script the same way (vite, minified), into out/bench-map/.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, linkSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import react from '@vitejs/plugin-react';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import sharp from 'sharp';
import { build } from 'vite';
import { Catalog } from '../src/main/engine/catalog/catalog.ts';
import { pack } from '../src/main/engine/catalog/packing.ts';
import { FINGERPRINT_DIM } from '../src/main/engine/features/fingerprint.ts';
import { FINGERPRINT_VERSION } from '../src/main/engine/features/versions.ts';
import { STORED_FEATURE_VERSIONS } from '../src/main/engine/index/feature-records.ts';
import { openLibrary, type Library } from '../src/main/engine/library.ts';
import { libraryLayout } from '../src/main/engine/paths.ts';
import { startServer, type RunningServer } from '../src/main/serve/server.ts';
import { mulberry32 } from '../src/shared/seeded-random.ts';
import { chromiumExecutable } from '../test/helpers/chromium.ts';
import { machine, median } from './machine.ts';

const root = join(import.meta.dirname, '..');
/**
 * The map's own files: what --baseline takes from the older commit. The stylesheet too, since
 * the map's thumbnails were once DOM images styled there.
 */
const MAP_FILES = [
  'src/renderer/screens/MapScreen.tsx',
  'src/renderer/map',
  'src/renderer/styles.css',
];
const VIEWPORT = { width: 1360, height: 860 };
/** The analysis key of the built-in fingerprint's embedding space (AnalysisService's spaceKeyOf). */
const SPACE_KEY = `fingerprint@${FINGERPRINT_VERSION}`;
const PHASES = ['pan-zoom', 'hover', 'zoomed'] as const;
type Phase = (typeof PHASES)[number];

export interface MapFramesOptions {
  /** Photos on the map, one synthetic library each. Default 10k and 100k. */
  sizes?: number[];
  /** Seconds of animation per phase and run. Default 4. */
  seconds?: number;
  /** Runs per build, alternating between builds. Default 2. */
  runs?: number;
  /** A git ref: also measure the map's files as they were there, side by side. */
  baseline?: string;
  /** A folder for a screenshot of each build and phase after its first run (to see the work). */
  screenshots?: string;
  /**
   * Zoom in by this many wheel steps (of 120) for the zoomed phase, the same for every build;
   * by default each build zooms until its thumbnails have replaced the dots.
   */
  zoomSteps?: number;
  /** The browser to drive. Default: the one the e2e specs use (test/helpers/chromium.ts). */
  chromium?: string;
  /**
   * Let Chromium pick its GPU instead of forcing SwiftShader: for a machine with a real GPU. The
   * renderer string in the output says what was used.
   */
  gpu?: boolean;
  seed?: number;
  log?: (line: string) => void;
}

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const summary = (xs: number[]) => ({
  median: round(median(xs.length ? xs : [NaN])),
  p95: round(quantile(xs, 0.95)),
  max: round(xs.length ? Math.max(...xs) : NaN),
});

// --- the synthetic library -------------------------------------------------------------------

/**
 * A UMAP-like layout: 24 clusters of uneven size and spread, plus 3 % scattered points; and the
 * cluster of each point (-1 for the scattered ones).
 */
function syntheticLayout(n: number, seed: number): { coords: Float32Array; cluster: Int32Array } {
  const rnd = mulberry32(seed);
  const k = 24;
  const centres = Array.from({ length: k }, () => [rnd() * 24 - 12, rnd() * 24 - 12] as const);
  const weights = Array.from({ length: k }, () => 0.2 + rnd() ** 2 * 3);
  const spreads = Array.from({ length: k }, () => 0.3 + rnd() * 1.5);
  const total = weights.reduce((a, b) => a + b, 0);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const coords = new Float32Array(n * 2);
  const cluster = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.03) {
      coords[2 * i] = rnd() * 30 - 15;
      coords[2 * i + 1] = rnd() * 30 - 15;
      cluster[i] = -1;
      continue;
    }
    let pick = rnd() * total;
    let c = 0;
    while (c < k - 1 && (pick -= weights[c]!) > 0) c++;
    coords[2 * i] = centres[c]![0] + gauss() * spreads[c]!;
    coords[2 * i + 1] = centres[c]![1] + gauss() * spreads[c]!;
    cluster[i] = c;
  }
  return { coords, cluster };
}

/**
 * Writes a library the engine opens as if it had indexed n photos and laid them out: photo rows
 * (in a folder that is not there, like an unplugged drive's, so nothing is rescanned), their
 * fingerprint rows and every other stored feature at its current version (neutral values: a
 * photo missing one is queued for analysis at open, and its file is not there), an empty stored
 * neighbour graph (no duplicates), the layout and clusters.
 */
async function makeLibrary(dir: string, n: number, seed: number): Promise<{ bbox: number[] }> {
  const layout = libraryLayout(dir);
  mkdirSync(layout.thumbnails, { recursive: true });
  const catalog = new Catalog(layout.catalog);
  try {
    const folder = catalog.addFolder(join(dir, 'unplugged-drive'));
    const { coords, cluster } = syntheticLayout(n, seed);
    const ids = Int32Array.from({ length: n }, (_, i) => i + 1);
    const rnd = mulberry32(seed + 1);
    const vector = new Float32Array(FINGERPRINT_DIM).map(() => rnd() - 0.5);
    const norm = Math.hypot(...vector);
    const vectorBytes = Buffer.from(vector.map((v) => v / norm).buffer);
    const now = Date.now();
    const hashes = Array.from(ids, (id) =>
      createHash('sha256').update(`photo ${id}`).digest('hex'),
    );
    const insertPhoto = catalog.db.prepare(
      `INSERT INTO photos (id, folder_id, path, size, mtime_ms, content_hash, format, width, height,
         taken_at, status, first_seen_at, indexed_at)
       VALUES (?, ?, ?, ?, ?, ?, 'jpeg', 4000, 3000, ?, 'indexed', ?, ?)`,
    );
    const insertFeature = catalog.db.prepare(
      `INSERT INTO features (content_hash, kind, version, data, created_at)
       VALUES (?, ?, ?, ?, ?)`,
    );
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const neutral: Record<string, Buffer> = {
      meta: json({
        format: 'jpeg',
        width: 4000,
        height: 3000,
        orientation: 1,
        takenAt: null,
        camera: null,
        exifFieldCount: 0,
        sharpness: null,
      }),
      palette: json([]),
      phash: Buffer.from('0'.repeat(16)),
    };
    const features = Object.entries(STORED_FEATURE_VERSIONS).map(([kind, version]) => ({
      kind,
      version,
      data: kind === 'fingerprint' ? vectorBytes : (neutral[kind] ?? Buffer.alloc(0)),
    }));
    catalog.transaction(() => {
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        const path = join(
          folder.path,
          `${String(Math.floor(i / 1000)).padStart(3, '0')}`,
          `IMG_${id}.jpg`,
        );
        insertPhoto.run(
          id,
          folder.id,
          path,
          3_400_000,
          now,
          hashes[i]!,
          now - i * 60_000,
          now,
          now,
        );
        for (const f of features) insertFeature.run(hashes[i]!, f.kind, f.version, f.data, now);
      }
    });
    const k = 16;
    catalog.saveAnalysisResult(
      'neighbours',
      SPACE_KEY,
      pack(
        { version: 1, k, dim: FINGERPRINT_DIM, method: 'ann' },
        {
          ids,
          neighbourIds: new Int32Array(n * k).fill(-1),
          similarities: new Float32Array(n * k).fill(-Infinity),
        },
      ),
    );
    catalog.saveAnalysisResult('layout', SPACE_KEY, pack(null, { ids, coords }));
    const byCluster = new Map<number, number[]>();
    cluster.forEach((c, i) => {
      if (c < 0) return;
      const list = byCluster.get(c) ?? [];
      list.push(ids[i]!);
      byCluster.set(c, list);
    });
    const members = Int32Array.from([...byCluster.values()].flat());
    let offset = 0;
    const clusters = [...byCluster.entries()].map(([id, list]) => {
      const entry = { id, medoidId: list[0]!, size: list.length, offset };
      offset += list.length;
      return entry;
    });
    catalog.saveAnalysisResult(
      'clusters',
      SPACE_KEY,
      pack(
        {
          k: 'auto',
          setKey: 'synthetic',
          resultK: clusters.length,
          method: 'synthetic (bench/map-frames.ts)',
          scores: { silhouette: [], daviesBouldin: [], elbow: [] },
          clusters,
        },
        { members, distances: new Float32Array(members.length) },
      ),
    );
    // Thumbnails: one small WebP per shard folder, hard-linked for every photo in it (a file can
    // have at most ~65k links; a shard holds n/256).
    const sources = new Map<string, string>();
    for (const hash of hashes) {
      const shard = hash.slice(0, 2);
      let source = sources.get(shard);
      if (!source) {
        mkdirSync(join(layout.thumbnails, shard), { recursive: true });
        source = join(layout.thumbnails, shard, 'source.webp');
        const hue = Number.parseInt(shard, 16);
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="384" height="288"><defs><linearGradient id="g"><stop offset="0" stop-color="hsl(${hue * 1.4},70%,55%)"/><stop offset="1" stop-color="hsl(${hue * 1.4 + 90},60%,30%)"/></linearGradient></defs><rect width="384" height="288" fill="url(#g)"/><circle cx="${100 + (hue % 7) * 30}" cy="140" r="70" fill="hsl(${hue * 3},80%,70%)"/></svg>`;
        await sharp(Buffer.from(svg)).webp({ quality: 80 }).toFile(source);
        sources.set(shard, source);
      }
      linkSync(source, join(layout.thumbnails, shard, `${hash}.webp`));
    }
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, coords[2 * i]!);
      maxX = Math.max(maxX, coords[2 * i]!);
      minY = Math.min(minY, coords[2 * i + 1]!);
      maxY = Math.max(maxY, coords[2 * i + 1]!);
    }
    return { bbox: [minX, minY, maxX, maxY] };
  } finally {
    catalog.close();
  }
}

// --- the renderer builds ---------------------------------------------------------------------

/** Builds the renderer whose sources sit under `sourceRoot`/src into `outDir`. */
async function buildRenderer(sourceRoot: string, outDir: string): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(sourceRoot, 'src/renderer'),
    base: '/',
    plugins: [react()],
    build: {
      outDir,
      emptyOutDir: true,
      minify: true,
      rolldownOptions: { input: join(sourceRoot, 'src/renderer/index.html') },
    },
  });
}

/** The working tree's renderer with the map's files as they were at `ref`. */
function baselineSources(ref: string, dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  for (const part of ['src/renderer', 'src/shared']) {
    cpSync(join(root, part), join(dir, part), { recursive: true });
  }
  for (const path of MAP_FILES) rmSync(join(dir, path), { recursive: true, force: true });
  const listed = execFileSync('git', ['ls-tree', '-r', '--name-only', ref, '--', ...MAP_FILES], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);
  if (listed.length === 0) throw new Error(`${ref} has none of ${MAP_FILES.join(', ')}`);
  for (const path of listed) {
    const text = execFileSync('git', ['show', `${ref}:${path}`], { cwd: root });
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

// --- the page driver -------------------------------------------------------------------------

/**
 * Installed before the app loads: wraps requestAnimationFrame to time the app's callbacks (the
 * map's draw function), and offers prepare(phase) and run(phase) to the bench.
 */
const PAGE_DRIVER = String.raw`(() => {
  const nativeRaf = window.requestAnimationFrame.bind(window);
  const DRIVER = Symbol('bench driver');
  const state = { recording: false, appMs: 0, appCalls: 0 };
  window.requestAnimationFrame = (callback) =>
    nativeRaf((time) => {
      if (callback[DRIVER] || !state.recording) return callback(time);
      const start = performance.now();
      try {
        return callback(time);
      } finally {
        state.appMs += performance.now() - start;
        state.appCalls++;
      }
    });
  const nextFrame = () =>
    new Promise((resolve) => {
      const callback = (time) => resolve(time);
      callback[DRIVER] = true;
      window.requestAnimationFrame(callback);
    });
  const frames = async (count) => {
    for (let i = 0; i < count; i++) await nextFrame();
  };
  const canvas = () => document.querySelector('[data-testid="map-canvas"]');
  // Thumbnails are DOM images over the canvas in builds before the texture atlases, and drawn in
  // the canvas since (which says on its data attributes what it drew): the driver reads either.
  const domThumbs = () => document.querySelectorAll('[data-testid="map-thumbs"] img');
  const thumbsShown = () => {
    const c = canvas();
    if (c.dataset.thumbnailMix !== undefined) return c.dataset.thumbnailMix === '1.00';
    return document.querySelector('[data-testid="map-thumbs"]') !== null;
  };
  const thumbsLoaded = () => {
    const c = canvas();
    if (c.dataset.thumbnailMix !== undefined) {
      return Number(c.dataset.thumbnailsWanted) > 0 && c.dataset.thumbnails === c.dataset.thumbnailsWanted;
    }
    const imgs = [...domThumbs()];
    return imgs.length > 0 && imgs.every((img) => img.complete);
  };
  const thumbCount = () => {
    const c = canvas();
    return c.dataset.thumbnailMix !== undefined ? Number(c.dataset.thumbnails ?? 0) : domThumbs().length;
  };
  const pointer = (type, x, y, buttons) =>
    new PointerEvent(type, {
      bubbles: true, cancelable: true, composed: true, pointerId: 1, pointerType: 'mouse',
      isPrimary: true, clientX: x, clientY: y, buttons, button: type === 'pointermove' ? -1 : 0,
    });
  const wheel = (x, y, deltaY) =>
    new WheelEvent('wheel', { bubbles: true, cancelable: true, clientX: x, clientY: y, deltaY, deltaMode: 0 });
  const timed = (target, event) => {
    const start = performance.now();
    target.dispatchEvent(event);
    return performance.now() - start;
  };
  let anchor = null;

  async function fit() {
    const c = canvas();
    const r = c.getBoundingClientRect();
    c.dispatchEvent(new MouseEvent('dblclick', { bubbles: true, clientX: r.left + 5, clientY: r.top + 5 }));
    await frames(5);
  }

  window.__mapBench = {
    async prepare(phase, options) {
      await fit();
      if (phase !== 'zoomed') return { thumbs: 0 };
      // Where the chosen point lands on the fitted map (the screen's own fit).
      const c = canvas();
      const r = c.getBoundingClientRect();
      const [minX, minY, maxX, maxY] = options.bbox;
      const scale = 0.9 * Math.min(r.width / (maxX - minX), r.height / (maxY - minY));
      const x = r.left + r.width / 2 + (options.anchor[0] - (minX + maxX) / 2) * scale;
      const y = r.top + r.height / 2 + (options.anchor[1] - (minY + maxY) / 2) * scale;
      anchor = [x, y];
      let steps = 0;
      // A fixed number of wheel steps when asked (the same view for every build), else until
      // the thumbnails have replaced the dots.
      const until = options.zoomSteps ? () => steps >= options.zoomSteps : thumbsShown;
      while (!until() && steps < 80) {
        c.dispatchEvent(wheel(x, y, -120));
        steps++;
        await frames(2);
      }
      // Let the thumbnails in view load.
      for (let i = 0; i < 100; i++) {
        if (thumbsLoaded()) break;
        await frames(3);
      }
      return { zoomSteps: steps, thumbs: thumbCount() };
    },

    async run(phase, options) {
      const c = canvas();
      const r = c.getBoundingClientRect();
      const cx = phase === 'zoomed' ? anchor[0] : r.left + r.width / 2;
      const cy = phase === 'zoomed' ? anchor[1] : r.top + r.height / 2;
      const deltas = [];
      const appMs = [];
      const inputMs = [];
      const thumbCounts = [];
      state.recording = true;
      state.appMs = 0;
      state.appCalls = 0;
      const t0 = await nextFrame();
      let previous = t0;
      let zoomed = 0;
      let previews = 0;
      let last = [cx, cy];
      if (phase !== 'hover') timed(c, pointer('pointerdown', cx, cy, 1));
      for (;;) {
        const now = await nextFrame();
        deltas.push(now - previous);
        appMs.push(state.appMs);
        state.appMs = 0;
        previous = now;
        const t = (now - t0) / 1000;
        if (t >= options.seconds) break;
        let input = 0;
        if (phase === 'pan-zoom') {
          const x = cx + 160 * Math.sin((2 * Math.PI * t) / 2.1);
          const y = cy + 100 * Math.sin((2 * Math.PI * t) / 1.3);
          input += timed(c, pointer('pointermove', x, y, 1));
          last = [x, y];
          // Log zoom between 0 and ln 4 and back every 3 s, through the wheel (0.0015 per unit).
          const target = (Math.log(4) * (1 - Math.cos((2 * Math.PI * t) / 3))) / 2;
          const deltaY = -(target - zoomed) / 0.0015;
          zoomed = target;
          input += timed(c, wheel(cx, cy, deltaY));
        } else if (phase === 'hover') {
          const x = cx + 420 * Math.sin((2 * Math.PI * t) / 2.5);
          const y = cy + 260 * Math.sin((2 * Math.PI * t) / 1.7);
          input += timed(c, pointer('pointermove', x, y, 0));
          if (document.querySelector('[data-testid="map-preview"]')) previews++;
        } else {
          const x = cx + 140 * Math.sin((2 * Math.PI * t) / 3);
          const y = cy + 90 * Math.sin((2 * Math.PI * t) / 2.2);
          input += timed(c, pointer('pointermove', x, y, 1));
          last = [x, y];
          thumbCounts.push(thumbCount());
        }
        inputMs.push(input);
      }
      if (phase !== 'hover') timed(c, pointer('pointerup', last[0], last[1], 0));
      state.recording = false;
      return {
        seconds: (previous - t0) / 1000,
        deltas,
        appMs,
        inputMs,
        previewShare: previews / Math.max(1, inputMs.length),
        thumbs: thumbCounts.length ? Math.round(thumbCounts.reduce((a, b) => a + b, 0) / thumbCounts.length) : 0,
      };
    },
  };
})();`;

interface PhaseRecord {
  seconds: number;
  deltas: number[];
  appMs: number[];
  inputMs: number[];
  /** Hover: the share of frames showing a preview (the pointer was over a point). */
  previewShare: number;
  thumbs: number;
}

interface Sample extends PhaseRecord {
  mainThreadMs: number;
  scriptMs: number;
  layoutStyleMs: number;
  rendererCpuMs: number;
  gpuCpuMs: number;
}

async function pageMetrics(cdp: CDPSession): Promise<Record<string, number>> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as {
    metrics: { name: string; value: number }[];
  };
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

async function processCpu(browserCdp: CDPSession): Promise<{ renderer: number; gpu: number }> {
  const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as {
    processInfo: { type: string; cpuTime: number }[];
  };
  const sum = (type: string) =>
    processInfo.filter((p) => p.type === type).reduce((a, p) => a + p.cpuTime, 0);
  return { renderer: sum('renderer'), gpu: sum('GPU') };
}

interface OpenMap {
  page: Page;
  cdp: CDPSession;
  loadSeconds: number;
}

async function openMap(browser: Browser, server: RunningServer, n: number): Promise<OpenMap> {
  const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'dark' });
  await context.addInitScript({ content: PAGE_DRIVER });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  const origin = new URL(server.url).origin;
  const started = performance.now();
  await page.goto(`${origin}/map`);
  await page
    .locator(`[data-testid="map-canvas"][aria-label="Map of ${n} photos"]`)
    .waitFor({ state: 'visible', timeout: 300_000 });
  await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
  const loadSeconds = (performance.now() - started) / 1000;
  if (errors.length > 0) throw new Error(`the map page failed: ${errors.join('; ')}`);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  return { page, cdp, loadSeconds };
}

async function measurePhase(
  map: OpenMap,
  browserCdp: CDPSession,
  phase: Phase,
  options: { seconds: number; bbox: number[]; anchor: [number, number]; zoomSteps: number | null },
): Promise<Sample & { prepared: unknown }> {
  const { page, cdp } = map;
  await page.bringToFront();
  const prepared = await page.evaluate(
    `window.__mapBench.prepare(${JSON.stringify(phase)}, ${JSON.stringify(options)})`,
  );
  const m0 = await pageMetrics(cdp);
  const p0 = await processCpu(browserCdp);
  const record = (await page.evaluate(
    `window.__mapBench.run(${JSON.stringify(phase)}, ${JSON.stringify(options)})`,
  )) as PhaseRecord;
  const m1 = await pageMetrics(cdp);
  const p1 = await processCpu(browserCdp);
  const d = (name: string) => ((m1[name] ?? 0) - (m0[name] ?? 0)) * 1000;
  return {
    ...record,
    prepared,
    mainThreadMs: d('TaskDuration'),
    scriptMs: d('ScriptDuration'),
    layoutStyleMs: d('LayoutDuration') + d('RecalcStyleDuration'),
    rendererCpuMs: (p1.renderer - p0.renderer) * 1000,
    gpuCpuMs: (p1.gpu - p0.gpu) * 1000,
  };
}

/** Pools a phase's runs: per-frame distributions, and per-frame averages of the phase totals. */
function report(phase: Phase, samples: Sample[]) {
  const deltas = samples.flatMap((s) => s.deltas);
  const frames = deltas.length;
  const seconds = samples.reduce((a, s) => a + s.seconds, 0);
  const perFrame = (pick: (s: Sample) => number) =>
    round(samples.reduce((a, s) => a + pick(s), 0) / Math.max(1, frames));
  return {
    frames,
    fps: round(frames / seconds, 1),
    fpsPerRun: samples.map((s) => round(s.deltas.length / s.seconds, 1)),
    frameMs: summary(deltas),
    /** The map's animation-frame callback (draw function): JavaScript and GL command encoding. */
    drawCallbackMs: summary(samples.flatMap((s) => s.appMs)),
    /** Dispatching the frame's pointer and wheel events: the screen's input handlers. */
    inputHandlersMs: summary(samples.flatMap((s) => s.inputMs)),
    /** Per frame, averaged over the phase: all of the page's main-thread tasks (React included). */
    mainThreadMsPerFrame: perFrame((s) => s.mainThreadMs),
    scriptMsPerFrame: perFrame((s) => s.scriptMs),
    layoutAndStyleMsPerFrame: perFrame((s) => s.layoutStyleMs),
    /** CPU of all renderer processes (main thread, compositor, raster) per frame. */
    rendererCpuMsPerFrame: perFrame((s) => s.rendererCpuMs),
    /** CPU of the GPU process (SwiftShader rasterises here) per frame. */
    gpuProcessCpuMsPerFrame: perFrame((s) => s.gpuCpuMs),
    ...(phase === 'zoomed' ? { thumbnailsInView: samples[0]?.thumbs ?? 0 } : {}),
    ...(phase === 'hover'
      ? { previewShare: round(samples.reduce((a, s) => a + s.previewShare, 0) / samples.length) }
      : {}),
  };
}

export async function runMapFramesBench(options: MapFramesOptions = {}) {
  const sizes = options.sizes ?? [10_000, 100_000];
  const seconds = options.seconds ?? 4;
  const runs = options.runs ?? 2;
  const seed = options.seed ?? 7;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const executablePath = options.chromium ?? (await chromiumExecutable()).path;
  if (!existsSync(executablePath))
    throw new Error(`map-frames needs Chromium at ${executablePath}`);
  const started = performance.now();
  const work = join(root, 'out', 'bench-map');
  mkdirSync(work, { recursive: true });

  const builds: { name: 'current' | 'baseline'; dir: string }[] = [
    { name: 'current', dir: join(work, 'renderer-current') },
  ];
  log('map-frames: building the renderer');
  await buildRenderer(root, builds[0]!.dir);
  if (options.baseline) {
    log(`map-frames: building the renderer with the map of ${options.baseline}`);
    const sources = baselineSources(options.baseline, join(work, 'baseline-src'));
    builds.unshift({ name: 'baseline', dir: join(work, 'renderer-baseline') });
    await buildRenderer(sources, builds[0]!.dir);
  }

  const browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // No GPU here: WebGL2 through ANGLE on SwiftShader, Chrome's software Vulkan.
      ...(options.gpu ? [] : ['--use-angle=swiftshader', '--enable-unsafe-swiftshader']),
    ],
  });
  const browserCdp = await browser.newBrowserCDPSession();
  const chromiumVersion = browser.version();
  const results: Record<string, unknown> = {};
  let renderer: unknown = null;
  try {
    for (const n of sizes) {
      const dir = await mkdtemp(join(os.tmpdir(), `shoebox-bench-map-${n}-`));
      let library: Library | null = null;
      const servers: RunningServer[] = [];
      try {
        log(`map-frames: ${n} photos: writing the synthetic library`);
        const t0 = performance.now();
        const { bbox } = await makeLibrary(dir, n, seed);
        const libraryWriteSeconds = (performance.now() - t0) / 1000;
        library = await openLibrary(dir, { watch: false, workers: 1 });
        const t1 = performance.now();
        const view = await library.analysis.map();
        const engineMapSeconds = (performance.now() - t1) / 1000;
        if (view.state !== 'ready' || view.points.length !== n) {
          throw new Error(
            `the engine did not take the synthetic layout (state ${view.state}, ${view.points.length} points)`,
          );
        }
        // A point in a cluster (not a stray one) to zoom in on.
        const pick = view.points[Math.floor(n / 3)]!;
        const anchor: [number, number] = [Math.fround(pick.x), Math.fround(pick.y)];
        const maps = new Map<string, OpenMap>();
        for (const b of builds) {
          const server = await startServer({ library, rendererDir: b.dir, port: 0 });
          servers.push(server);
          log(`map-frames: ${n} photos: opening the map (${b.name})`);
          maps.set(b.name, await openMap(browser, server, n));
        }
        if (!renderer) {
          const page = maps.get('current')!.page;
          renderer = await page.evaluate(`(() => {
            const gl = document.createElement('canvas').getContext('webgl2');
            if (!gl) return { webgl2: false };
            const info = gl.getExtension('WEBGL_debug_renderer_info');
            return {
              webgl2: true,
              version: gl.getParameter(gl.VERSION),
              vendor: info ? gl.getParameter(info.UNMASKED_VENDOR_WEBGL) : null,
              renderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : null,
              maxSamples: gl.getParameter(gl.MAX_SAMPLES),
            };
          })()`);
        }
        const samples = new Map<string, Sample[]>();
        const prepared = new Map<string, unknown>();
        for (let run = 0; run < runs; run++) {
          // Alternate which build goes first, so drift in the machine's load hits both.
          const order = run % 2 ? [...builds].reverse() : builds;
          for (const b of order) {
            for (const phase of PHASES) {
              log(`map-frames: ${n} photos, ${b.name}, run ${run + 1}/${runs}: ${phase}`);
              const sample = await measurePhase(maps.get(b.name)!, browserCdp, phase, {
                seconds,
                bbox,
                anchor,
                zoomSteps: options.zoomSteps ?? null,
              });
              const key = `${b.name}/${phase}`;
              samples.set(key, [...(samples.get(key) ?? []), sample]);
              prepared.set(key, sample.prepared);
              if (options.screenshots && run === 0) {
                mkdirSync(options.screenshots, { recursive: true });
                await maps.get(b.name)!.page.screenshot({
                  path: join(options.screenshots, `map-${n}-${b.name}-${phase}.png`),
                });
              }
            }
          }
        }
        const perBuild: Record<string, unknown> = {};
        for (const b of builds) {
          const phases: Record<string, unknown> = {};
          for (const phase of PHASES) {
            phases[phase] = {
              ...report(phase, samples.get(`${b.name}/${phase}`) ?? []),
              ...(phase === 'zoomed' ? { prepared: prepared.get(`${b.name}/${phase}`) } : {}),
            };
          }
          perBuild[b.name] = { loadSeconds: round(maps.get(b.name)!.loadSeconds), phases };
        }
        results[`n${n}`] = {
          photos: n,
          libraryWriteSeconds: round(libraryWriteSeconds, 1),
          engineMapSeconds: round(engineMapSeconds, 2),
          ...perBuild,
        };
        for (const map of maps.values()) await map.page.context().close();
      } finally {
        for (const server of servers) await server.close();
        await library?.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  return {
    machine: machine(),
    chromium: chromiumVersion,
    webgl: renderer,
    swiftShaderForced: !options.gpu,
    viewport: VIEWPORT,
    secondsPerPhase: seconds,
    runs,
    baseline: options.baseline ?? null,
    zoomSteps: options.zoomSteps ?? null,
    results,
    totalSeconds: round((performance.now() - started) / 1000, 1),
    loadAverageAtEnd: os.loadavg().map((x) => round(x, 2)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const value = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const quick = args.includes('--quick');
  const result = await runMapFramesBench({
    sizes: value('--sizes')?.split(',').map(Number) ?? (quick ? [10_000] : undefined),
    seconds: value('--seconds') ? Number(value('--seconds')) : quick ? 2 : undefined,
    runs: value('--runs') ? Number(value('--runs')) : quick ? 1 : undefined,
    baseline: value('--baseline'),
    screenshots: value('--screenshots'),
    zoomSteps: value('--zoom-steps') ? Number(value('--zoom-steps')) : undefined,
    chromium: value('--chromium'),
    gpu: args.includes('--gpu'),
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
