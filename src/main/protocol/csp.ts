// The desktop renderer's Content-Security-Policy, with no Electron import so a test can serve it
// to Chromium and watch it block an injected script.
import { MEDIA_SCHEME } from './media-url.ts';

/**
 * The renderer's CSP: our own scripts only, images from the media scheme, no network. The media
 * scheme may also be fetched: the map reads thumbnails into WebGL textures that way.
 */
export const appCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' ${MEDIA_SCHEME}: blob: data:`,
  "font-src 'self'",
  `connect-src ${MEDIA_SCHEME}:`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "object-src 'none'",
].join('; ');
