// Browser mode: the same renderer build over HTTP and the contract over a WebSocket, for
// `shoebox serve`. Bound to loopback unless told otherwise, and every request must carry the
// random token from the printed URL (in the query once, then in a SameSite=Strict cookie), so
// other local users and web pages cannot reach the library.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LibraryService } from '../engine/library-service.ts';
import {
  ContractError,
  MAX_UPLOAD_BYTES,
  calls,
  isCallName,
  serializeError,
  type AppInfo,
  type ServerMessage,
} from '../../shared/api.ts';
import {
  createEngineHandlers,
  dispatchEngineCall,
  relayEngineEvents,
} from '../handlers/engine-handlers.ts';
import {
  immutableCache,
  isInside,
  mediaSecurityHeaders,
  resolveMedia,
  type MediaKind,
} from '../handlers/media.ts';

export interface ServerOptions {
  library: LibraryService;
  host?: string;
  port?: number;
  rendererDir: string;
  token?: string;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const TOKEN_COOKIE = 'shoebox_token';

const staticTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/** The CSP of the UI page: only our own scripts, styles and the same-origin WebSocket. */
export const rendererCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Where electron-vite writes the renderer build: out/renderer at the repository root. */
export function rendererBuildDir(): string {
  return join(packageRoot(), 'out', 'renderer');
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      try {
        const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string };
        if (pkg.name === 'shoebox') return dir;
      } catch {
        // An unreadable package.json is not ours; keep climbing.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('Cannot find the Shoebox package folder.');
    dir = parent;
  }
}

function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { library } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const indexHtml = join(rendererDir, 'index.html');
  if (!existsSync(indexHtml)) {
    throw new Error(`The UI is not built (no ${indexHtml}); run \`npm run build\` first.`);
  }
  const handlers = createEngineHandlers(library);
  const info: AppInfo = { mode: 'browser', version: appVersion() };

  const hasToken = (req: IncomingMessage, url: URL): boolean =>
    tokenMatches(url.searchParams.get('token'), token) ||
    tokenMatches(readCookie(req, TOKEN_COOKIE), token);

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendText(res, 500, 'Something went wrong serving this request.');
      else res.destroy();
      console.error('shoebox serve:', error);
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hasToken(req, url)) {
      sendText(
        res,
        401,
        'This Shoebox server only answers the link with its access token, as printed by `shoebox serve`.',
      );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendText(res, 405, 'Only GET and HEAD are served here.');
      return;
    }
    if (url.searchParams.has('token')) {
      // Trade the token in the address bar for a cookie, so it does not linger in history,
      // bookmarks or referrers, and reloads of any route still carry it.
      res.setHeader('Set-Cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`);
      url.searchParams.delete('token');
      res.statusCode = 303;
      res.setHeader('Location', url.pathname + url.search);
      res.setHeader('Cache-Control', 'no-store');
      res.end();
      return;
    }
    const media = /^\/media\/(thumb|full)\/([^/]+)$/.exec(url.pathname);
    if (media) {
      await serveMedia(req, res, media[1] as MediaKind, media[2] as string);
      return;
    }
    await serveStatic(req, res, url.pathname);
  }

  async function serveMedia(
    req: IncomingMessage,
    res: ServerResponse,
    kind: MediaKind,
    idText: string,
  ): Promise<void> {
    const found = resolveMedia(library, kind, idText);
    if (!found) {
      sendText(res, 404, 'No such photo, or it has no thumbnail yet.');
      return;
    }
    const etag = `"${kind}-${found.version}"`;
    for (const [name, value] of Object.entries(mediaSecurityHeaders)) res.setHeader(name, value);
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', immutableCache);
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    await sendFile(req, res, found.path, found.contentType);
  }

  async function serveStatic(
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
  ): Promise<void> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      sendText(res, 400, 'Malformed path.');
      return;
    }
    if (decoded.includes('\0')) {
      sendText(res, 400, 'Malformed path.');
      return;
    }
    const candidate = join(rendererDir, normalize(decoded));
    const ext = extname(decoded);
    if (ext && isInside(rendererDir, candidate) && (await isFile(candidate))) {
      const type = staticTypes[ext] ?? 'application/octet-stream';
      // Vite puts content hashes in asset names, so they can be cached for good.
      const cache = decoded.startsWith('/assets/') ? immutableCache : 'no-cache';
      res.setHeader('Cache-Control', cache);
      res.setHeader('X-Content-Type-Options', 'nosniff');
      if (ext === '.html') setPageHeaders(res);
      await sendFile(req, res, candidate, type);
      return;
    }
    if (ext) {
      sendText(res, 404, 'Not found.');
      return;
    }
    // Any extension-less path is a screen of the app: the router inside index.html draws it,
    // so a screen can be linked and reloaded.
    setPageHeaders(res);
    res.setHeader('Cache-Control', 'no-cache');
    await sendFile(req, res, indexHtml, staticTypes['.html'] as string);
  }

  // Large enough for one dropped file (base64, `similar.upload`) plus its envelope; every
  // other message is far smaller.
  const maxPayload = Math.ceil(MAX_UPLOAD_BYTES / 3) * 4 + 64 * 1024;
  const wss = new WebSocketServer({ noServer: true, maxPayload });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const origin = req.headers.origin;
    const sameOrigin = !origin || origin === `http://${req.headers.host ?? ''}`;
    if (url.pathname !== '/api' || !hasToken(req, url) || !sameOrigin) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const stopEvents = relayEngineEvents(library, (name, payload) =>
      send({ kind: 'event', name, payload }),
    );
    ws.on('close', stopEvents);
    ws.on('message', (data) => {
      let id = -1;
      void (async () => {
        try {
          const message = JSON.parse(String(data)) as {
            kind?: unknown;
            id?: unknown;
            name?: unknown;
            args?: unknown;
          };
          if (message.kind !== 'call' || typeof message.id !== 'number') {
            throw new ContractError('invalid-arguments', 'Messages must be calls with an id.');
          }
          id = message.id;
          const value = await answer(message.name, message.args);
          send({ kind: 'result', id, ok: true, value: value ?? null });
        } catch (error) {
          send({ kind: 'result', id, ok: false, error: serializeError(error) });
        }
      })();
    });
  });

  async function answer(name: unknown, args: unknown): Promise<unknown> {
    if (isCallName(name)) {
      const site = calls[name].site;
      if (name === 'app.info') return info;
      if (site === 'desktop') {
        throw new ContractError('unavailable', `${name} needs the desktop app.`);
      }
    }
    return await dispatchEngineCall(handlers, name, args);
  }

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolvePromise) => wss.close(() => resolvePromise()));
      server.closeAllConnections();
      await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
    },
  };
}

function setPageHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', rendererCsp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  contentType: string,
): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    sendText(res, 404, 'Not found.');
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', size);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await new Promise<void>((resolvePromise) => {
    const stream = createReadStream(path);
    stream.on('error', () => {
      res.destroy();
      resolvePromise();
    });
    stream.on('end', () => resolvePromise());
    stream.pipe(res);
  });
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(text + '\n');
}
