// The desktop app's security decisions as pure functions, with no Electron import, so they are
// tested as they are (security.int.test's neighbour, policy.test.ts) while security.ts, ipc.ts and
// the protocol handlers only apply them.
import { isSafeExternalUrl } from '../../shared/api.ts';

/** Origin of the renderer build served by the `shoebox:` scheme. */
export const APP_ORIGIN = 'shoebox://app';

/**
 * Which URLs are the app itself: the custom scheme's host, or (development only) the dev
 * server's exact origin. Everything else is foreign, including other hosts of our scheme.
 */
export function appUrlMatcher(devUrl?: string): (url: string) => boolean {
  let devOrigin: string | null = null;
  if (devUrl !== undefined) {
    try {
      devOrigin = new URL(devUrl).origin;
    } catch {
      devOrigin = null;
    }
  }
  return (url) => {
    try {
      const parsed = new URL(url);
      // Node's URL gives custom schemes an opaque origin ("null"), so compare scheme and host;
      // userinfo would make `shoebox://app@evil/` look like ours to a careless prefix check.
      if (parsed.username || parsed.password) return false;
      if (`${parsed.protocol}//${parsed.host}` === APP_ORIGIN) return true;
      return devOrigin !== null && parsed.origin === devOrigin;
    } catch {
      return false;
    }
  };
}

export type NavigationVerdict =
  /** Stays in the app (a route of the renderer). */
  | 'allow'
  /** Refused in the window; an https link is handed to the system browser. */
  | 'open-externally'
  /** Refused outright. */
  | 'deny';

/** A top-level navigation (a link click, `location = ...`): only the app's own pages load. */
export function navigationVerdict(
  url: string,
  isAppUrl: (url: string) => boolean,
): NavigationVerdict {
  if (isAppUrl(url)) return 'allow';
  return isSafeExternalUrl(url) ? 'open-externally' : 'deny';
}

/** A server redirect during a navigation: never away from the app. */
export function redirectAllowed(url: string, isAppUrl: (url: string) => boolean): boolean {
  return isAppUrl(url);
}

/** `window.open` and target=_blank: no new window, ever; an https link goes to the browser. */
export function windowOpenVerdict(url: string): Exclude<NavigationVerdict, 'allow'> {
  return isSafeExternalUrl(url) ? 'open-externally' : 'deny';
}

/** What main knows about the sender of an IPC call. */
export interface SenderFacts {
  /** The app window exists and is not destroyed. */
  windowAlive: boolean;
  /** The call came from that window's web contents (not another window or a webview). */
  fromAppWindow: boolean;
  /** The call came from the top frame, not an iframe inside the page. */
  fromMainFrame: boolean;
  /** The URL of the calling frame; null when the frame is gone. */
  frameUrl: string | null;
}

/** Only the app's own window, its top frame, showing the app's own page, may call. */
export function isTrustedSender(facts: SenderFacts, isAppUrl: (url: string) => boolean): boolean {
  return (
    facts.windowAlive &&
    facts.fromAppWindow &&
    facts.fromMainFrame &&
    facts.frameUrl !== null &&
    isAppUrl(facts.frameUrl)
  );
}
