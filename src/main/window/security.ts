// App-wide hardening, applied before any window exists: every permission denied, every
// navigation away from the app and every new window refused, external https links handed to
// the OS browser instead.
import { app, session, shell, type Session } from 'electron';
import { isSafeExternalUrl } from '../../shared/api.ts';
import { navigationVerdict, redirectAllowed, windowOpenVerdict } from './policy.ts';

export function hardenSession(target: Session = session.defaultSession): void {
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.setDevicePermissionHandler(() => false);
  target.setDisplayMediaRequestHandler((_request, callback) => callback({}));
}

/** `isAppUrl` says which URLs are the app itself (the custom scheme, or the dev server). */
export function guardWebContents(isAppUrl: (url: string) => boolean): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event, url) => {
      const verdict = navigationVerdict(url, isAppUrl);
      if (verdict === 'allow') return;
      event.preventDefault();
      if (verdict === 'open-externally') openExternally(url);
    });
    contents.on('will-redirect', (event, url) => {
      if (!redirectAllowed(url, isAppUrl)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      if (windowOpenVerdict(url) === 'open-externally') openExternally(url);
      return { action: 'deny' };
    });
  });
}

export function openExternally(url: string): boolean {
  if (!isSafeExternalUrl(url)) return false;
  void shell.openExternal(url);
  return true;
}
