// Security of the two ways photos leave the engine, as tables of attacks:
// - `shoebox serve`: raw HTTP requests (not fetch, which would clean dot segments away) trying to
//   reach a planted secret outside the library, encoded and not; requests without or with a bad
//   token; the listening address; and, in Chromium, the page's CSP against an injected inline
//   script.
// - the desktop `shoebox-media:` scheme: the same traversal table through the scheme's URL parser
//   and the media resolver it hands ids to.
import { existsSync } from 'node:fs';
import { readFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import WebSocket from 'ws';
import { chromiumArgs, chromiumExecutable } from '../../../test/helpers/chromium.ts';
import { makeTempDir, waitFor } from '../../../test/helpers/temp.ts';
import { openLibrary, type Library } from '../engine/library.ts';
import { resolveMedia } from '../handlers/media.ts';
import { appCsp } from '../protocol/csp.ts';
import { parseMediaUrl } from '../protocol/media-url.ts';
import { startServer, type RunningServer } from './server.ts';

const SECRET = 'SHOEBOX-SECRET-7f3a9c';
let indexHtml = '';
const appJs = 'window.externalRan = true;';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
let library: Library;
let server: RunningServer;
let port: number;
let token: string;
let cookie: string;
let photoId: number;

beforeAll(async () => {
  temp = await makeTempDir('shoebox-security-');
  // Secrets where a traversal would land: beside the library, beside the photos, beside the UI.
  await writeFile(join(temp.path, 'secret.txt'), SECRET);
  await writeFile(join(temp.path, 'secret.jpg'), SECRET);
  const rendererDir = join(temp.path, 'renderer');
  await mkdir(join(rendererDir, 'assets'), { recursive: true });
  // The page tries an inline script, an inline event handler and a javascript: URL; only the
  // external, same-origin script may run.
  indexHtml = [
    '<!doctype html><html><head><title>Shoebox</title>',
    '<script src="/assets/app.js"></script>',
    "<script>window.inlineRan = true; document.title = 'pwned';</script>",
    '</head><body>',
    '<img src="/nothing.png" onerror="window.handlerRan = true">',
    '<a id="js" href="javascript:window.linkRan = true">x</a>',
    '</body></html>',
  ].join('\n');
  await writeFile(join(rendererDir, 'index.html'), indexHtml);
  await writeFile(join(rendererDir, 'assets', 'app.js'), appJs);
  const photos = join(temp.path, 'photos');
  await mkdir(photos);
  await sharp({ create: { width: 64, height: 48, channels: 3, background: '#c33' } })
    .jpeg()
    .toFile(join(photos, 'red.jpg'));
  library = await openLibrary(join(temp.path, 'library'), { watch: false, workers: 1 });
  await library.sync([await library.registerFolder(photos)]);
  const page = library.listPhotos({ sort: 'name', offset: 0, limit: 10 });
  photoId = page.photos[0]!.id;
  await waitFor(() => library.thumbnailPath(photoId), 'a thumbnail');
  server = await startServer({ library, rendererDir, port: 0 });
  const url = new URL(server.url);
  port = Number(url.port);
  token = url.searchParams.get('token') ?? '';
  cookie = `shoebox_token=${token}`;
});

afterAll(async () => {
  await server?.close();
  await library?.close();
  await temp?.remove();
});

/** One request with the path sent byte for byte as given. */
function raw(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('latin1'),
          headers: res.headers,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

// Each is tried after /media/thumb/, /media/full/ and at the root.
const traversals = [
  '../secret.txt',
  '../../secret.txt',
  '../../../../../../etc/passwd',
  '..%2fsecret.txt',
  '..%2F..%2Fsecret.txt',
  '%2e%2e/secret.txt',
  '%2e%2e%2f%2e%2e%2fsecret.txt',
  '%252e%252e%252fsecret.txt',
  '..%5csecret.txt',
  '..\\..\\secret.txt',
  '%2fetc%2fpasswd',
  '/etc/passwd',
  '%00../secret.txt',
  '1%00.jpg',
  '1/../../secret.txt',
  '1%2f..%2f..%2fsecret.txt',
  '%c0%ae%c0%ae/secret.txt',
  '.%2e/secret.txt',
  'file:%2f%2f%2fetc%2fpasswd',
];

describe('shoebox serve never serves a file outside the library', () => {
  it.each(traversals)('%s', async (attack) => {
    for (const prefix of ['/media/thumb/', '/media/full/', '/', '/assets/']) {
      const response = await raw(prefix + attack, { cookie });
      expect(response.body, prefix + attack).not.toContain(SECRET);
      expect(response.body, prefix + attack).not.toMatch(/root:.*:0:0:/);
      // Anything served is the app itself: dot segments resolve before routing, so
      // /media/thumb/../../x is the route /x, and a route is the UI page.
      if (response.status === 200)
        expect([indexHtml, appJs], prefix + attack).toContain(response.body);
    }
  });

  it('still serves the real photo by its id (the table above is not refusing everything)', async () => {
    const full = await raw(`/media/full/${photoId}`, { cookie });
    expect(full.status).toBe(200);
    const thumb = await raw(`/media/thumb/${photoId}`, { cookie });
    expect(thumb.status).toBe(200);
  });
});

describe('shoebox serve refuses requests without its token', () => {
  const wrong = () => token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  const cases: [
    string,
    () => { path: string; headers: Record<string, string>; method?: string },
  ][] = [
    ['no token at all', () => ({ path: '/', headers: {} })],
    ['a wrong token of the right length', () => ({ path: `/?token=${wrong()}`, headers: {} })],
    [
      'the token minus its last character',
      () => ({ path: `/?token=${token.slice(0, -1)}`, headers: {} }),
    ],
    ['the token plus a character', () => ({ path: `/?token=${token}x`, headers: {} })],
    [
      'the token in another case',
      () => ({
        path: `/?token=${token.toUpperCase() === token ? token.toLowerCase() : token.toUpperCase()}`,
        headers: {},
      }),
    ],
    ['an empty token', () => ({ path: '/?token=', headers: {} })],
    ['the token under another parameter name', () => ({ path: `/?auth=${token}`, headers: {} })],
    [
      'the token as a bearer header',
      () => ({ path: '/', headers: { authorization: `Bearer ${token}` } }),
    ],
    [
      'the token in a cookie of another name',
      () => ({ path: '/', headers: { cookie: `token=${token}` } }),
    ],
    ['a wrong cookie', () => ({ path: '/', headers: { cookie: `shoebox_token=${wrong()}` } })],
    ['a media URL without a token', () => ({ path: `/media/full/${photoId}`, headers: {} })],
    ['an asset without a token', () => ({ path: '/assets/app.js', headers: {} })],
    ['a POST without a token', () => ({ path: '/', headers: {}, method: 'POST' })],
  ];
  it.each(cases)('%s', async (_what, make) => {
    const { path, headers, method } = make();
    const response = await raw(path, headers, method);
    expect(response.status).toBe(401);
    expect(response.body).not.toContain('window.externalRan');
    expect(response.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    ['no token', {}],
    ['a wrong token', { cookie: 'shoebox_token=nope' }],
    ['the right token from a foreign page', { cookie: 'COOKIE', origin: 'http://evil.test' }],
    [
      'the right token from a look-alike origin',
      { cookie: 'COOKIE', origin: 'http://127.0.0.1.evil.test' },
    ],
  ] as const)('refuses a WebSocket with %s', async (_what, given) => {
    const headers = Object.fromEntries(
      Object.entries(given).map(([k, v]) => [k, v === 'COOKIE' ? cookie : v]),
    );
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { headers });
        ws.once('open', () => {
          ws.close();
          resolve('open');
        });
        ws.once('error', reject);
      }),
    ).rejects.toThrow(/401/);
  });
});

/** The local address a TCP port is listening on, from /proc/net/tcp (IPv4), e.g. "127.0.0.1". */
async function listeningAddress(onPort: number): Promise<string | null> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || state !== '0A') continue; // 0A: LISTEN
    const [hexAddress, hexPort] = local.split(':');
    if (parseInt(hexPort!, 16) !== onPort) continue;
    // Little-endian bytes of the IPv4 address.
    const bytes = hexAddress!.match(/../g)!.map((b) => parseInt(b, 16));
    return bytes.reverse().join('.');
  }
  return null;
}

describe.skipIf(!existsSync('/proc/net/tcp'))('where shoebox serve listens', () => {
  it('binds loopback only by default', async () => {
    expect(await listeningAddress(port)).toBe('127.0.0.1');
  });

  it('binds another address only when told, and still wants the token there', async () => {
    const open = await startServer({
      library,
      rendererDir: join(temp.path, 'renderer'),
      port: 0,
      host: '0.0.0.0',
    });
    try {
      const openPort = Number(new URL(open.url).port);
      expect(await listeningAddress(openPort)).toBe('0.0.0.0');
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: openPort, path: '/' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(401);
    } finally {
      await open.close();
    }
  });
});

/** Loads `url` in Chromium and reports which of the page's scripts ran. */
async function scriptsThatRan(
  browser: Browser,
  url: string,
): Promise<{ ran: unknown; violations: string[] }> {
  const page = await browser.newPage();
  try {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(url);
    // Page-side code as text: this file is checked against Node's types, not the DOM's.
    await page.waitForFunction("document.readyState === 'complete'");
    // Injected after load as well, the way an XSS in the UI would add one.
    await page.evaluate(`{
      const script = document.createElement('script');
      script.textContent = 'window.injectedRan = true;';
      document.body.appendChild(script);
    }`);
    await page.click('#js');
    const ran = await page.evaluate(`({
      external: window.externalRan === true,
      inline: window.inlineRan === true,
      handler: window.handlerRan === true,
      injected: window.injectedRan === true,
      link: window.linkRan === true,
      title: document.title,
    })`);
    return { ran, violations };
  } finally {
    await page.close();
  }
}

const onlyOwnScript = {
  external: true,
  inline: false,
  handler: false,
  injected: false,
  link: false,
  title: 'Shoebox',
};

describe('the CSP in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: (await chromiumExecutable()).path,
      args: [...chromiumArgs],
    });
  }, 180_000); // on a fresh clone this unpacks the npm Chromium first
  afterAll(async () => {
    await browser?.close();
  });

  it('shoebox serve: the page runs its own script but no injected inline script, handler or javascript: link', async () => {
    const { ran, violations } = await scriptsThatRan(browser, server.url);
    expect(ran).toEqual(onlyOwnScript);
    expect(violations.length).toBeGreaterThanOrEqual(3);
  });

  it("the desktop app's CSP does the same", async () => {
    // The same page under the desktop policy (schemes.ts sends appCsp with every page of the
    // shoebox: scheme), served here over loopback HTTP since there is no Electron binary.
    const pages = createServer((req, res) => {
      const isScript = req.url === '/assets/app.js';
      res.setHeader('Content-Security-Policy', appCsp);
      res.setHeader('Content-Type', isScript ? 'text/javascript' : 'text/html; charset=utf-8');
      res.end(isScript ? appJs : indexHtml);
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    try {
      const address = pages.address() as AddressInfo;
      const { ran, violations } = await scriptsThatRan(
        browser,
        `http://127.0.0.1:${address.port}/`,
      );
      expect(ran).toEqual(onlyOwnScript);
      expect(violations.length).toBeGreaterThanOrEqual(3);
    } finally {
      pages.closeAllConnections();
      await new Promise((resolve) => pages.close(resolve));
    }
  });
});

describe('the desktop media scheme never names a file outside the library', () => {
  it.each(traversals)('shoebox-media://media/{thumb,full}/%s', (attack) => {
    for (const kind of ['thumb', 'full']) {
      const parsed = parseMediaUrl(`shoebox-media://media/${kind}/${attack}`);
      const found = parsed ? resolveMedia(library, parsed.kind, parsed.idText) : null;
      // Whatever got through the parser must be a file of the library, never a planted secret.
      if (found) {
        expect(found.path).not.toContain('secret');
        expect(
          found.path.startsWith(temp.path + '/photos/') ||
            found.path.startsWith(temp.path + '/library/'),
        ).toBe(true);
      }
    }
  });

  it.each([
    'shoebox-media://elsewhere/thumb/1',
    'shoebox-media://media/thumb/1?x=../secret.txt',
    'shoebox-media://media/thumb/1?v=../secret.txt',
    'shoebox-media://media/thumb/1?v=abc&v=def',
    'shoebox-media://media/thumb/1?v=abc&x=1',
    'shoebox-media://media/thumb/1#../secret.txt',
    'shoebox-media://user@media/thumb/1',
    'shoebox-media://media/other/1',
    'shoebox-media://media/thumb/',
    'shoebox-media://media/thumb/1/2',
    'shoebox://app/thumb/1',
    'file:///etc/passwd',
  ])('refuses %s', (url) => {
    expect(parseMediaUrl(url)).toBeNull();
  });

  it('resolves the real photo, and only by a plain id', () => {
    const thumb = parseMediaUrl(`shoebox-media://media/thumb/${photoId}`);
    expect(thumb).toEqual({ kind: 'thumb', idText: String(photoId) });
    // The renderer's cache-busting version (the content hash) is accepted and ignored.
    const versioned = parseMediaUrl(
      `shoebox-media://media/thumb/${photoId}?v=${'ab12'.repeat(16)}`,
    );
    expect(versioned).toEqual({ kind: 'thumb', idText: String(photoId) });
    expect(resolveMedia(library, 'thumb', String(photoId))?.path).toBe(
      library.thumbnailPath(photoId),
    );
    expect(resolveMedia(library, 'full', String(photoId))?.path).toBe(
      join(temp.path, 'photos', 'red.jpg'),
    );
    for (const id of ['0', '-1', `0${photoId}`, `${photoId}.0`, ` ${photoId}`, '1e0', '99999'])
      expect(resolveMedia(library, 'full', id), id).toBeNull();
  });
});
