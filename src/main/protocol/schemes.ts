// Two custom schemes replace file:// entirely. `shoebox://app/` serves the renderer build (with
// the SPA fallback, so every screen is a reloadable URL, and the strict CSP as a header);
// `shoebox-media://media/{thumb|full}/<id>` serves photos by opaque id only, the path being
// looked up by the engine, so nothing the renderer writes can name a file.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { Readable } from 'node:stream';
import { protocol } from 'electron';
import type { EngineProcess } from '../engine-host/engine-process.ts';
import { immutableCache, isInside } from '../handlers/media.ts';
import { APP_ORIGIN } from '../window/policy.ts';
import { appCsp } from './csp.ts';
import { MEDIA_SCHEME, parseMediaUrl } from './media-url.ts';

export { APP_ORIGIN, MEDIA_SCHEME, appCsp };
export const APP_SCHEME = 'shoebox';

const staticTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Must run before the app is ready: schemes get their privileges only at startup. */
export function registerSchemePrivileges(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
    },
    // fetch() and CORS for the map, which reads thumbnails into WebGL textures: a texture
    // from another origin must be CORS-approved, and the page (shoebox://app) is one.
    {
      scheme: MEDIA_SCHEME,
      privileges: {
        standard: true,
        secure: true,
        stream: true,
        supportFetchAPI: true,
        corsEnabled: true,
      },
    },
  ]);
}

export function handleAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'app') return text(404, 'Not found.');
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return text(400, 'Malformed path.');
    }
    const ext = extname(pathname);
    const candidate = join(rendererDir, normalize(pathname));
    if (ext && !pathname.includes('\0') && isInside(rendererDir, candidate)) {
      const file = await fileResponse(candidate, staticTypes[ext] ?? 'application/octet-stream');
      if (file) {
        if (ext === '.html') file.headers.set('Content-Security-Policy', appCsp);
        return file;
      }
    }
    if (ext) return text(404, 'Not found.');
    // A screen's route: the router in index.html draws it.
    const index = await fileResponse(
      join(rendererDir, 'index.html'),
      staticTypes['.html'] as string,
    );
    if (!index) return text(500, 'The UI is missing from this build.');
    index.headers.set('Content-Security-Policy', appCsp);
    return index;
  });
}

export function handleMediaScheme(engine: EngineProcess): void {
  protocol.handle(MEDIA_SCHEME, async (request) => {
    const media = parseMediaUrl(request.url);
    if (!media) return text(404, 'Not found.');
    let found;
    try {
      found = await engine.media(media.kind, media.idText);
    } catch {
      return text(503, 'The photo engine is restarting.');
    }
    if (!found) return text(404, 'No such photo, or no thumbnail yet.');
    const response = await fileResponse(found.path, found.contentType);
    if (!response) return text(404, 'The file is gone.');
    response.headers.set('Cache-Control', immutableCache);
    response.headers.set('ETag', `"${media.kind}-${found.version}"`);
    response.headers.set('Content-Security-Policy', "default-src 'none'; sandbox");
    response.headers.set('X-Content-Type-Options', 'nosniff');
    // Readable by the app's own pages only (the map's texture atlases), by no other origin.
    response.headers.set('Access-Control-Allow-Origin', APP_ORIGIN);
    response.headers.set('Vary', 'Origin');
    return response;
  });
}

async function fileResponse(path: string, contentType: string): Promise<Response | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    const body = Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
    return new Response(body, {
      headers: { 'Content-Type': contentType, 'Content-Length': String(info.size) },
    });
  } catch {
    return null;
  }
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
}
