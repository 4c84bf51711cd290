// `shoebox serve` over a real library: the token guards every door, media come by opaque id
// only, and the WebSocket speaks the contract.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { seededRandom } from '../../../test/fixtures/images.ts';
import { makeTempDir, waitFor } from '../../../test/helpers/temp.ts';
import { openLibrary, type Library } from '../engine/library.ts';
import { startServer, type RunningServer } from './server.ts';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let library: Library;
let server: RunningServer;
let origin: string;
let token: string;
let photoDir: string;
let cookie: string;

beforeAll(async () => {
  temp = await makeTempDir('shoebox-serve-');
  const rendererDir = join(temp.path, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Shoebox</title>');
  await writeFile(join(rendererDir, 'assets', 'app-1234.js'), 'console.log(1);');
  photoDir = join(temp.path, 'photos');
  await mkdir(photoDir);
  for (const [name, colour] of [
    ['red.jpg', { r: 200, g: 30, b: 30 }],
    ['blue.png', { r: 20, g: 40, b: 220 }],
  ] as const) {
    const image = sharp({ create: { width: 320, height: 240, channels: 3, background: colour } });
    await (name.endsWith('.png') ? image.png() : image.jpeg()).toFile(join(photoDir, name));
  }
  library = await openLibrary(join(temp.path, 'library'), { watch: false, workers: 1 });
  await library.addFolder(photoDir);
  await waitFor(
    () => {
      const page = library.listPhotos({ sort: 'name', offset: 0, limit: 10 });
      return page.total === 2 && page.photos.every((p) => library.thumbnailPath(p.id) !== null);
    },
    'two photos indexed',
    60_000,
  );
  server = await startServer({ library, rendererDir, port: 0 });
  const url = new URL(server.url);
  origin = url.origin;
  token = url.searchParams.get('token') ?? '';
  cookie = `shoebox_token=${token}`;
});

afterAll(async () => {
  await server?.close();
  await library?.close();
  await temp?.remove();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(origin + path, { redirect: 'manual', headers });

function connect(headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${origin.replace('http', 'ws')}/api`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

interface Reply {
  ok: boolean;
  value?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- shapes vary per call
  error?: { code: string; message: string };
}

function call(ws: WebSocket, id: number, name: string, args: unknown): Promise<Reply> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data));
      if (message.kind === 'result' && message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ kind: 'call', id, name, args }));
  });
}

describe('shoebox serve', () => {
  it('listens on loopback with a long random token in its URL', () => {
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    expect(token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses every request without the token', async () => {
    for (const path of [
      '/',
      '/library',
      '/assets/app-1234.js',
      '/media/thumb/1',
      '/media/full/1',
    ]) {
      expect((await get(path)).status, path).toBe(401);
    }
    const wrong = 'x'.repeat(token.length);
    expect((await get(`/?token=${wrong}`)).status).toBe(401);
    expect((await get('/', { cookie: `shoebox_token=${wrong}` })).status).toBe(401);
    await expect(connect({})).rejects.toThrow(/401/);
  });

  it('trades the token in the URL for a strict cookie and drops it from the address', async () => {
    const response = await get(`/settings?token=${token}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/settings');
    expect(response.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
  });

  it('serves the UI for every screen route, with a strict CSP', async () => {
    for (const path of ['/', '/library', '/settings']) {
      const response = await get(path, { cookie });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>Shoebox</title>');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    }
    const asset = await get('/assets/app-1234.js', { cookie });
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await get('/assets/missing.js', { cookie })).status).toBe(404);
    expect((await get('/%2e%2e/%2e%2e/etc/passwd.txt', { cookie })).status).toBe(404);
    expect((await get('/assets/%00.js', { cookie })).status).toBe(400);
  });

  it('serves thumbnails and originals by opaque id, cached by content', async () => {
    const page = library.listPhotos({ sort: 'name', offset: 0, limit: 10 });
    const red = page.photos.find((p) => p.path.endsWith('red.jpg'));
    expect(red).toBeDefined();
    const thumb = await get(`/media/thumb/${red!.id}`, { cookie });
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toMatch(/^image\//);
    expect(thumb.headers.get('cache-control')).toContain('immutable');
    const full = await get(`/media/full/${red!.id}`, { cookie });
    expect(full.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await full.arrayBuffer())).toEqual(
      await readFile(join(photoDir, 'red.jpg')),
    );
    const etag = full.headers.get('etag') ?? '';
    expect((await get(`/media/full/${red!.id}`, { cookie, 'if-none-match': etag })).status).toBe(
      304,
    );
  });

  it('never turns a media URL into a path', async () => {
    for (const id of [
      '0',
      '-1',
      '01',
      '1.0',
      '0x1',
      '99999',
      '..%2F..%2Fetc%2Fpasswd',
      '%2Fetc%2Fpasswd',
    ]) {
      expect((await get(`/media/full/${id}`, { cookie })).status, id).toBe(404);
    }
    // Dot segments are resolved before routing: what comes back is the UI, never the file.
    const dotted = await get('/media/full/1/../../../../etc/passwd', { cookie });
    expect(await dotted.text()).not.toMatch(/root:/);
  });

  it('speaks the contract over the WebSocket and validates at the door', async () => {
    await expect(connect({ cookie, origin: 'http://evil.test' })).rejects.toThrow(/401/);
    const ws = await connect({ cookie, origin });
    try {
      const folders = await call(ws, 1, 'folders.list', {});
      expect(folders.ok).toBe(true);
      expect(folders.value[0].path).toBe(photoDir);
      expect((await call(ws, 2, 'app.info', {})).value.mode).toBe('browser');
      const bad = await call(ws, 3, 'photos.list', { sort: 'name', offset: -5, limit: 10 });
      expect(bad).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
      const unknown = await call(ws, 4, 'fs.readFile', { path: '/etc/passwd' });
      expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
      const desktop = await call(ws, 5, 'folders.pick', {});
      expect(desktop).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      const missing = await call(ws, 6, 'folders.remove', { folderId: 999 });
      expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    } finally {
      ws.close();
    }
  });
});

describe('analysis over the WebSocket', () => {
  it('answers a dropped file bigger than an ordinary message, and leaves no file behind', async () => {
    // The red photo with sensor-like noise, which does not compress: a PNG far beyond the
    // WebSocket's old 256 KB message limit.
    const random = seededRandom(3);
    const pixels = Buffer.alloc(520 * 520 * 3);
    for (let i = 0; i < pixels.length; i += 3) {
      pixels[i] = 180 + random() * 40;
      pixels[i + 1] = 20 + random() * 20;
      pixels[i + 2] = 20 + random() * 20;
    }
    const red = await sharp(pixels, { raw: { width: 520, height: 520, channels: 3 } })
      .png()
      .toBuffer();
    expect(red.length).toBeGreaterThan(256 * 1024);
    const ws = await connect({ cookie, origin });
    try {
      const args = { name: 'dropped.png', bytesBase64: red.toString('base64'), by: 'colour', k: 2 };
      const answer = await call(ws, 1, 'similar.upload', args);
      expect(answer.ok, JSON.stringify(answer.error)).toBe(true);
      expect(answer.value[0].photo.path).toBe(join(photoDir, 'red.jpg'));
      // Looked at, never added, and its temporary copy is gone.
      expect(library.listPhotos({ sort: 'name', offset: 0, limit: 10 }).total).toBe(2);
      expect(await readdir(join(library.dir, 'tmp'))).toEqual([]);
    } finally {
      ws.close();
    }
  });

  it('removes the temporary file when the dropped file cannot be read', async () => {
    const ws = await connect({ cookie, origin });
    try {
      const garbage = Buffer.from('this is not a photo at all').toString('base64');
      const args = { name: '../../evil.jpg', bytesBase64: garbage, by: 'content', k: 2 };
      const answer = await call(ws, 1, 'similar.upload', args);
      expect(answer.ok).toBe(false);
      expect(await readdir(join(library.dir, 'tmp'))).toEqual([]);
      expect(await readdir(join(temp.path))).not.toContain('evil.jpg');
    } finally {
      ws.close();
    }
  });

  it('says why text search needs a CLIP model, as unavailable rather than failed', async () => {
    const ws = await connect({ cookie, origin });
    try {
      const answer = await call(ws, 1, 'search.text', { text: 'a red square', k: 5 });
      expect(answer).toMatchObject({ ok: false, error: { code: 'unavailable' } });
      expect(answer.error?.message).toMatch(/CLIP model/);
    } finally {
      ws.close();
    }
  });
});

describe('startServer', () => {
  it('refuses to start without a built UI', async () => {
    await expect(
      startServer({ library, rendererDir: join(temp.path, 'nothing-here'), port: 0 }),
    ).rejects.toThrow(/not built/);
  });
});
