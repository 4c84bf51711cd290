// The engine host over a real library: it opens the library named by SHOEBOX_LIBRARY, answers
// contract calls (validated at its door), resolves media by opaque id, relays engine events, and
// closes the catalog cleanly when asked. Run as a Node child with an Electron-like parentPort.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, waitFor } from '../../../test/helpers/temp.ts';
import type { FromHost, ToHost } from './protocol.ts';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let host: ChildProcess;
const received: FromHost[] = [];
let nextId = 1;

interface Reply {
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string };
}

type Request =
  | { kind: 'call'; name: string; args: unknown }
  | { kind: 'media'; media: 'thumb' | 'full'; idText: string };

async function request(message: Request): Promise<Reply> {
  const id = nextId++;
  host.send({ ...message, id } satisfies ToHost);
  const reply = await waitFor(
    () => received.find((m) => m.kind === 'result' && m.id === id),
    `reply ${id}`,
    30_000,
  );
  return reply as Reply;
}

beforeAll(async () => {
  temp = await makeTempDir('shoebox-host-');
  const photos = join(temp.path, 'photos');
  await mkdir(photos);
  await sharp({
    create: { width: 200, height: 150, channels: 3, background: { r: 10, g: 120, b: 60 } },
  })
    .jpeg()
    .toFile(join(photos, 'green.jpg'));
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  host = fork(join(import.meta.dirname, 'host.ts'), [], {
    execArgv: [
      '--import',
      tsx,
      '--import',
      pathToFileURL(join(import.meta.dirname, 'parent-port-shim.ts')).href,
    ],
    env: { ...process.env, SHOEBOX_LIBRARY: join(temp.path, 'library') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  host.on('message', (message: FromHost) => received.push(message));
  const ready = await waitFor(() => received.find((m) => m.kind === 'ready'), 'host ready', 30_000);
  expect(ready).toMatchObject({ kind: 'ready', dir: join(temp.path, 'library') });
  const added = await request({ kind: 'call', name: 'folders.add', args: { path: photos } });
  expect(added.ok).toBe(true);
});

afterAll(async () => {
  if (host && host.exitCode === null) host.kill();
  await temp?.remove();
});

describe('engine host', () => {
  it('indexes and relays progress events under their contract names', async () => {
    await waitFor(
      () => received.some((m) => m.kind === 'event' && m.name === 'index.progress'),
      'a progress event',
      30_000,
    );
    await waitFor(
      async () => {
        const reply = await request({
          kind: 'call',
          name: 'photos.list',
          args: { sort: 'name', offset: 0, limit: 5 },
        });
        return reply.ok && (reply.value as { total: number }).total === 1;
      },
      'the photo indexed',
      30_000,
    );
  });

  it('validates arguments at its door', async () => {
    const reply = await request({ kind: 'call', name: 'photos.get', args: { photoId: 'one' } });
    expect(reply).toMatchObject({ ok: false, error: { code: 'invalid-arguments' } });
    const unknown = await request({ kind: 'call', name: 'shell.exec', args: {} });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-call' } });
  });

  it('resolves media by id only', async () => {
    const list = await request({
      kind: 'call',
      name: 'photos.list',
      args: { sort: 'name', offset: 0, limit: 5 },
    });
    const photo = (list.value as { photos: { id: number; path: string }[] }).photos[0]!;
    const full = await request({ kind: 'media', media: 'full', idText: String(photo.id) });
    expect(full.value).toMatchObject({ path: photo.path, contentType: 'image/jpeg' });
    const thumb = await request({ kind: 'media', media: 'thumb', idText: String(photo.id) });
    expect((thumb.value as { path: string }).path.startsWith(join(temp.path, 'library'))).toBe(
      true,
    );
    for (const idText of ['../../etc/passwd', '0', '1e3', '999999']) {
      expect((await request({ kind: 'media', media: 'full', idText })).value, idText).toBeNull();
    }
  });

  it('empties the trash through main (shell.trashItem in the app), and reports a refusal', async () => {
    const page = await request({
      kind: 'call',
      name: 'photos.list',
      args: { sort: 'name', offset: 0, limit: 1 },
    });
    const photo = (
      page.value as {
        photos: { path: string; size: number; mtimeMs: number; contentHash: string }[];
      }
    ).photos[0]!;
    const expected = { size: photo.size, mtimeMs: photo.mtimeMs, contentHash: photo.contentHash };
    const removed = await request({
      kind: 'call',
      name: 'trash.remove',
      args: { items: [{ path: photo.path, expected }] },
    });
    expect(removed.value).toMatchObject([{ path: photo.path, outcome: 'trashed' }]);

    // Playing main: the first time the OS refuses, the second time it takes the file.
    const osTrash = join(temp.path, 'os-trash');
    await mkdir(osTrash);
    let asked = 0;
    const answer = (message: FromHost): void => {
      if (message.kind !== 'trashItem') return;
      asked += 1;
      if (asked === 1) {
        host.send({
          kind: 'trashItemDone',
          requestId: message.requestId,
          error: 'the Recycle Bin is full',
        } satisfies ToHost);
      } else {
        void rename(message.path, join(osTrash, 'green.jpg')).then(() =>
          host.send({
            kind: 'trashItemDone',
            requestId: message.requestId,
            error: null,
          } satisfies ToHost),
        );
      }
    };
    host.on('message', answer);
    try {
      const refused = await request({ kind: 'call', name: 'trash.empty', args: {} });
      expect(JSON.stringify(refused.value)).toMatch(/Recycle Bin is full/);
      expect((await request({ kind: 'call', name: 'trash.list', args: {} })).value).toHaveLength(1);
      await request({ kind: 'call', name: 'trash.empty', args: {} });
      expect(asked).toBe(2);
      expect(await readdir(osTrash)).toEqual(['green.jpg']);
      expect((await request({ kind: 'call', name: 'trash.list', args: {} })).value).toEqual([]);
    } finally {
      host.off('message', answer);
    }
  });

  it('closes the library and exits when asked', async () => {
    const exited = new Promise<number | null>((resolve) =>
      host.once('exit', (code) => resolve(code)),
    );
    host.send({ kind: 'close' } satisfies ToHost);
    expect(await exited).toBe(0);
    expect(received.some((m) => m.kind === 'closed')).toBe(true);
  });
});
