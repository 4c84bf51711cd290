// Reads a `shoebox-media://media/{thumb|full}/<id>` URL, with no Electron import so it is tested
// as it is. The id is opaque text handed to resolveMedia, which accepts only a plain positive
// integer; nothing here or there ever becomes part of a path.
import type { MediaKind } from '../handlers/media.ts';

export const MEDIA_SCHEME = 'shoebox-media';

export function parseMediaUrl(url: string): { kind: MediaKind; idText: string } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${MEDIA_SCHEME}:` || parsed.host !== 'media') return null;
  if (parsed.username || parsed.password || parsed.hash) return null;
  // The one query the UI adds is `?v=<content version>`, so the page asks again when a photo's
  // bytes change; it never reaches the resolver. Anything else in the query is refused.
  const keys = [...parsed.searchParams.keys()];
  if (keys.some((key) => key !== 'v') || keys.length > 1) return null;
  if (keys.length === 1 && !/^[0-9a-z-]{1,80}$/i.test(parsed.searchParams.get('v') ?? ''))
    return null;
  const match = /^\/(thumb|full)\/([^/]+)$/.exec(parsed.pathname);
  if (!match) return null;
  return { kind: match[1] as MediaKind, idText: match[2] as string };
}
