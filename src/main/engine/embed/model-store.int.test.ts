// The model store against a real HTTP server on loopback serving the tiny model's files (with
// Range support), and real folders for import: fetch, resume, verification, offline failure,
// import, the active-model setting, removal and bundled copies.
import { createServer, type Server } from 'node:http';
import { cp, mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateTinyClip, type TinyClip } from '../../../../test/fixtures/tiny-clip/generate.ts';
import { FINGERPRINT_DIM } from '../features/fingerprint.ts';
import type { ModelManifest } from './manifest.ts';
import {
  BUILTIN_MODEL_ID,
  fetchModel,
  fetchModelFiles,
  importModel,
  installedModel,
  listModels,
  modelDir,
  ModelInstallError,
  removeModel,
  resolveActiveModel,
  setActiveModel,
  type FetchProgress,
} from './model-store.ts';
import { tokenizerDigest } from './tokenizer-digest.ts';

let tiny: TinyClip;
let server: Server;
let baseUrl: string;
/** Per-test server behaviour. */
const serverState = {
  requests: [] as { path: string; range: string | undefined }[],
  /** Stop after this many body bytes of one file (simulates a dropped connection). */
  cutAfter: null as { path: string; bytes: number } | null,
  ignoreRange: false,
  corrupt: null as string | null,
};
let manifests: Map<string, ModelManifest>;
let root: string;
let library: string;

beforeAll(async () => {
  tiny = await generateTinyClip();
  server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent((req.url ?? '').replace(/^\/tiny\//, ''));
      serverState.requests.push({ path, range: req.headers.range });
      let body: Buffer;
      try {
        body = await readFile(join(tiny.dir, path));
      } catch {
        res.writeHead(404).end();
        return;
      }
      if (serverState.corrupt === path)
        body = Buffer.from(body.map((b, i) => (i === 5 ? b ^ 1 : b)));
      let start = 0;
      const range = /bytes=(\d+)-/.exec(req.headers.range ?? '');
      if (range && !serverState.ignoreRange) {
        start = Number(range[1]);
        res.writeHead(206, {
          'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
          'content-length': body.length - start,
        });
      } else {
        res.writeHead(200, { 'content-length': body.length });
      }
      const cut = serverState.cutAfter;
      if (cut && cut.path === path) {
        serverState.cutAfter = null;
        res.write(body.subarray(start, start + cut.bytes));
        // Drop the connection mid-body, as a failing network would.
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.end(body.subarray(start));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tiny`;
  manifests = new Map([[tiny.manifest.id, { ...tiny.manifest, baseUrl }]]);
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'shoebox-models-'));
  library = join(root, 'library');
  serverState.requests = [];
  serverState.cutAfter = null;
  serverState.ignoreRange = false;
  serverState.corrupt = null;
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ID = 'tiny-clip';
const ONNX = 'onnx/vision_model_quantized.onnx';

describe('fetchModel', () => {
  it('downloads, verifies, installs and activates, reporting progress', async () => {
    const progress: FetchProgress[] = [];
    expect((await resolveActiveModel(library, { manifests })).id).toBe(BUILTIN_MODEL_ID);
    const installed = await fetchModel(ID, library, {
      manifests,
      onProgress: (p) => progress.push(p),
    });
    expect(installed).toMatchObject({
      id: ID,
      dim: 512,
      source: 'library',
      dir: modelDir(library, ID),
    });
    for (const f of tiny.manifest.files) {
      expect((await stat(join(installed.dir, f.path))).size).toBe(f.bytes);
    }
    const total = tiny.manifest.files.reduce((s, f) => s + f.bytes, 0);
    expect(progress.at(-1)).toMatchObject({ bytes: total, total });
    expect(progress.every((p, i) => i === 0 || p.bytes >= progress[i - 1]!.bytes)).toBe(true);
    expect((await resolveActiveModel(library, { manifests })).id).toBe(ID);
    const list = await listModels(library, { manifests });
    expect(list.map((m) => [m.id, m.installed, m.active])).toEqual([
      [BUILTIN_MODEL_ID, true, false],
      [ID, true, true],
    ]);
  });

  it('resumes an interrupted download with a Range request', async () => {
    serverState.cutAfter = { path: ONNX, bytes: 2000 };
    await expect(fetchModel(ID, library, { manifests })).rejects.toThrow(ModelInstallError);
    const part = join(modelDir(library, ID), `${ONNX}.part`);
    expect((await stat(part)).size).toBe(2000);
    expect(await installedModel(library, ID, { manifests })).toBeNull();

    serverState.requests = [];
    await fetchModel(ID, library, { manifests });
    // Files finished in the first run are not downloaded again; the cut one resumes at 2000.
    expect(serverState.requests.map((r) => r.path)).toEqual([
      ONNX,
      'onnx/text_model_quantized.onnx',
    ]);
    expect(serverState.requests[0]!.range).toBe('bytes=2000-');
    expect(await installedModel(library, ID, { manifests })).not.toBeNull();
  });

  it('starts over when the server ignores the Range header', async () => {
    serverState.cutAfter = { path: ONNX, bytes: 1000 };
    await expect(fetchModel(ID, library, { manifests })).rejects.toThrow();
    serverState.ignoreRange = true;
    await fetchModel(ID, library, { manifests });
    expect(await installedModel(library, ID, { manifests })).not.toBeNull();
  });

  it('discards a file that does not match its pinned SHA-256', async () => {
    serverState.corrupt = ONNX;
    await expect(fetchModel(ID, library, { manifests })).rejects.toThrow(
      /The downloaded onnx\/vision_model_quantized\.onnx of tiny-clip does not match its pinned SHA-256/,
    );
    await expect(stat(join(modelDir(library, ID), ONNX))).rejects.toThrow();
    await expect(stat(join(modelDir(library, ID), `${ONNX}.part`))).rejects.toThrow();
    expect((await resolveActiveModel(library, { manifests })).id).toBe(BUILTIN_MODEL_ID);
  });

  it('fails offline in one sentence that names `shoebox models import <dir>`', async () => {
    // A port nothing listens on: connection refused, like a machine with no network.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const error = await fetchModel(ID, library, {
      manifests,
      baseUrl: `http://127.0.0.1:${port}/tiny`,
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(ModelInstallError);
    expect((error as Error).message).toMatch(
      /^Could not download tiny-clip from 127\.0\.0\.1:\d+ \(ECONNREFUSED\); .*`shoebox models import <dir>`\.$/,
    );
    expect((error as Error).message.split(/\.\s/)).toHaveLength(1);
  });

  it('can be cancelled, and a later fetch picks up from there', async () => {
    const controller = new AbortController();
    await expect(
      fetchModel(ID, library, {
        manifests,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }),
    ).rejects.toThrow(/^The download of tiny-clip was cancelled; run it again to resume/);
    expect(await installedModel(library, ID, { manifests })).toBeNull();
    await fetchModel(ID, library, { manifests });
    expect(await installedModel(library, ID, { manifests })).not.toBeNull();
  });

  it('names import on an HTTP error too, and refuses unknown ids', async () => {
    await expect(
      fetchModel(ID, library, { manifests, baseUrl: `${baseUrl}/missing` }),
    ).rejects.toThrow(/HTTP 404 for config\.json\).*`shoebox models import <dir>`/);
    await expect(fetchModel('clip-vit-l14', library, { manifests })).rejects.toThrow(
      /Unknown model "clip-vit-l14"; Shoebox knows tiny-clip\./,
    );
  });
});

describe('importModel', () => {
  it('installs a verified copy from the upstream layout or a flat folder', async () => {
    const installed = await importModel(tiny.dir, library, { manifests, id: ID });
    expect(installed.source).toBe('library');
    expect((await resolveActiveModel(library, { manifests })).id).toBe(ID);

    const flat = join(root, 'flat');
    await mkdir(flat);
    for (const f of tiny.manifest.files)
      await cp(join(tiny.dir, f.path), join(flat, basename(f.path)));
    await removeModel(ID, library, { manifests });
    await importModel(flat, library, { manifests, id: ID, activate: false });
    expect(await installedModel(library, ID, { manifests })).not.toBeNull();
    expect((await resolveActiveModel(library, { manifests })).id).toBe(ID); // only one installed
  });

  it('names missing files and refuses altered weights, leaving an earlier install intact', async () => {
    const partial = join(root, 'partial');
    await cp(tiny.dir, partial, { recursive: true });
    await rm(join(partial, 'onnx'), { recursive: true });
    await expect(importModel(partial, library, { manifests, id: ID })).rejects.toThrow(
      /lacks onnx\/vision_model_quantized\.onnx, onnx\/text_model_quantized\.onnx of shoebox\/tiny-clip/,
    );

    await importModel(tiny.dir, library, { manifests, id: ID });
    const altered = join(root, 'altered');
    await cp(tiny.dir, altered, { recursive: true });
    const weights = await readFile(join(altered, ONNX));
    weights[weights.length - 1]! ^= 0xff;
    await writeFile(join(altered, ONNX), weights);
    await expect(importModel(altered, library, { manifests, id: ID })).rejects.toThrow(
      /does not match the pinned onnx\/vision_model_quantized\.onnx/,
    );
    expect(await installedModel(library, ID, { manifests })).not.toBeNull();
    const kept = await readFile(join(modelDir(library, ID), ONNX));
    expect(kept.equals(await readFile(join(tiny.dir, ONNX)))).toBe(true);
  });

  it('accepts a re-serialised tokenizer.json only when its content digest is pinned', async () => {
    const other = join(root, 'reexported');
    await cp(tiny.dir, other, { recursive: true });
    const json = JSON.parse(await readFile(join(other, 'tokenizer.json'), 'utf8')) as {
      model: { merges: [string, string][] };
    };
    // The same tokenizer as another tool writes it: merges as "a b" strings, no indentation.
    const rewritten = {
      ...json,
      model: { ...json.model, merges: json.model.merges.map((m) => m.join(' ')) },
    };
    await writeFile(join(other, 'tokenizer.json'), JSON.stringify(rewritten));
    await expect(importModel(other, library, { manifests, id: ID })).rejects.toThrow(
      /does not match the pinned tokenizer\.json/,
    );
    const withDigest = new Map(manifests);
    const m = withDigest.get(ID)!;
    withDigest.set(ID, {
      ...m,
      files: m.files.map((f) =>
        f.path === 'tokenizer.json'
          ? { ...f, equivalent: { kind: 'tokenizer', digests: [tokenizerDigest(json)] } }
          : f,
      ),
    });
    const installed = await importModel(other, library, { manifests: withDigest, id: ID });
    expect(installed.id).toBe(ID);
  });

  it.skipIf(!process.env.SHOEBOX_CLIP_ASSETS)(
    'accepts the shipped CLIP tokenizer files by digest and asks only for the weights (needs SHOEBOX_CLIP_ASSETS)',
    async () => {
      const folder = join(root, 'clip');
      await cp(process.env.SHOEBOX_CLIP_ASSETS!, folder, { recursive: true });
      await expect(importModel(folder, library, { id: 'clip-vit-b32' })).rejects.toThrow(
        /lacks onnx\/vision_model_quantized\.onnx, onnx\/text_model_quantized\.onnx of Xenova\/clip-vit-base-patch32 at revision d15189d7028b/,
      );
      // With stand-in weights the tokenizer files pass and the first weight file is refused.
      await cp(join(tiny.dir, 'onnx'), join(folder, 'onnx'), { recursive: true });
      await expect(importModel(folder, library, { id: 'clip-vit-b32' })).rejects.toThrow(
        /does not match the pinned onnx\/vision_model_quantized\.onnx of Xenova\/clip-vit-base-patch32/,
      );
    },
  );
});

describe('active model, removal and bundled copies', () => {
  it('falls back to the fingerprint when the active model is removed', async () => {
    await importModel(tiny.dir, library, { manifests, id: ID });
    await setActiveModel(library, BUILTIN_MODEL_ID, { manifests });
    expect((await resolveActiveModel(library, { manifests })).id).toBe(BUILTIN_MODEL_ID);
    await setActiveModel(library, ID, { manifests });
    expect((await resolveActiveModel(library, { manifests })).id).toBe(ID);
    await removeModel(ID, library, { manifests });
    expect(await resolveActiveModel(library, { manifests })).toEqual({
      id: BUILTIN_MODEL_ID,
      dim: FINGERPRINT_DIM,
      model: null,
    });
    await expect(setActiveModel(library, ID, { manifests })).rejects.toThrow(
      /not installed; install it with `shoebox models fetch tiny-clip` or `shoebox models import <dir>`/,
    );
    await expect(removeModel(ID, library, { manifests })).rejects.toThrow(/not installed/);
  });

  it('does not count a model with a missing or truncated file as installed', async () => {
    await importModel(tiny.dir, library, { manifests, id: ID });
    await truncate(join(modelDir(library, ID), ONNX), 10);
    expect(await installedModel(library, ID, { manifests })).toBeNull();
    expect((await resolveActiveModel(library, { manifests })).id).toBe(BUILTIN_MODEL_ID);
  });

  it('finds a model bundled in resources/ (as scripts/fetch-models.ts leaves it)', async () => {
    const resources = join(root, 'resources');
    await fetchModelFiles(manifests.get(ID)!, join(resources, 'models', ID), {});
    const options = { manifests, resourcesDir: resources };
    const active = await resolveActiveModel(library, options);
    expect(active.id).toBe(ID);
    expect(active.model?.source).toBe('bundled');
    // The library's own copy wins over the bundled one.
    await importModel(tiny.dir, library, { ...options, id: ID });
    expect((await installedModel(library, ID, options))?.source).toBe('library');
    const list = await listModels(library, options);
    expect(list.find((m) => m.id === ID)).toMatchObject({
      installed: true,
      active: true,
      source: 'library',
    });
  });
});
