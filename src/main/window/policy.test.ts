// The desktop app's window and IPC policy, as tables: which URLs count as the app, which
// navigations and new windows are refused, and which IPC senders are turned away. security.ts and
// ipc.ts apply exactly these functions (there is no Electron binary here to drive them through).
import { describe, expect, it } from 'vitest';
import { callNames, validateCall } from '../../shared/api.ts';
import {
  appUrlMatcher,
  isTrustedSender,
  navigationVerdict,
  redirectAllowed,
  windowOpenVerdict,
  type SenderFacts,
} from './policy.ts';

const packaged = appUrlMatcher(undefined);
const dev = appUrlMatcher('http://localhost:5173/');

describe('what counts as the app', () => {
  it.each([
    ['shoebox://app/library', true],
    ['shoebox://app/', true],
    ['shoebox://app/duplicates?threshold=3#top', true],
    // Chromium hands over canonical (lower-case) URLs of a standard scheme; anything else is not ours.
    ['shoebox://APP/library', false],
    ['shoebox://evil/library', false],
    ['shoebox://app.evil.test/', false],
    ['shoebox://app@evil.test/', false],
    ['shoebox://user:pw@app/', false],
    ['shoebox-media://media/thumb/1', false],
    ['http://localhost:5173/', false], // the dev server is not the app in a built app
    ['file:///etc/passwd', false],
    ['https://example.com/', false],
    ['javascript:alert(1)', false],
    ['data:text/html,<script>alert(1)</script>', false],
    ['about:blank', false],
    ['', false],
    ['not a url', false],
  ])('packaged: %s -> %s', (url, expected) => {
    expect(packaged(url)).toBe(expected);
  });

  it.each([
    ['http://localhost:5173/library', true],
    ['shoebox://app/library', true],
    ['http://localhost:5174/', false],
    ['http://127.0.0.1:5173/', false],
    ['https://localhost:5173/', false],
    ['http://localhost:5173@evil.test/', false],
  ])('development: %s -> %s', (url, expected) => {
    expect(dev(url)).toBe(expected);
  });

  it('treats an unparseable dev URL as no dev server', () => {
    expect(appUrlMatcher('::not a url::')('http://localhost:5173/')).toBe(false);
  });
});

describe('navigation and new windows', () => {
  it.each([
    ['shoebox://app/clusters', 'allow'],
    ['https://github.com/shoebox/shoebox', 'open-externally'],
    ['http://example.com/', 'deny'],
    ['file:///home/user/photo.jpg', 'deny'],
    ['javascript:alert(1)', 'deny'],
    ['data:text/html,hi', 'deny'],
    ['shoebox://elsewhere/', 'deny'],
    ['shoebox-media://media/full/1', 'deny'],
    ['https://evil.test/\nx', 'deny'],
  ] as const)('navigating to %s: %s', (url, verdict) => {
    expect(navigationVerdict(url, packaged)).toBe(verdict);
  });

  it.each([
    ['shoebox://app/library', true],
    ['https://example.com/', false],
    ['file:///etc/passwd', false],
  ])('a redirect to %s is allowed: %s', (url, allowed) => {
    expect(redirectAllowed(url, packaged)).toBe(allowed);
  });

  it.each([
    ['shoebox://app/library', 'deny'], // not even the app itself gets a second window
    ['https://example.com/', 'open-externally'],
    ['http://example.com/', 'deny'],
    ['file:///etc/passwd', 'deny'],
    ['javascript:alert(1)', 'deny'],
    ['about:blank', 'deny'],
  ] as const)('window.open(%s): %s', (url, verdict) => {
    expect(windowOpenVerdict(url)).toBe(verdict);
  });
});

describe('IPC senders', () => {
  const good: SenderFacts = {
    windowAlive: true,
    fromAppWindow: true,
    fromMainFrame: true,
    frameUrl: 'shoebox://app/library',
  };

  it('trusts the app window top frame on an app page', () => {
    expect(isTrustedSender(good, packaged)).toBe(true);
  });

  it.each([
    ['no window (closed)', { windowAlive: false }],
    ['another web contents (a second window, a webview)', { fromAppWindow: false }],
    ['an iframe inside the page', { fromMainFrame: false }],
    ['a frame that is gone', { frameUrl: null }],
    ['a page navigated away', { frameUrl: 'https://evil.test/' }],
    ['a data: page', { frameUrl: 'data:text/html,<script>1</script>' }],
    ['a file: page', { frameUrl: 'file:///tmp/x.html' }],
    ['the dev server in a packaged app', { frameUrl: 'http://localhost:5173/' }],
  ] as const)('refuses %s', (_what, change) => {
    expect(isTrustedSender({ ...good, ...change }, packaged)).toBe(false);
  });
});

describe('IPC arguments are validated at the door', () => {
  // What ipc.ts runs on every call before anything reaches the engine or the desktop shell.
  it.each([
    ['fs.readFile', { path: '/etc/passwd' }, 'unknown-call'],
    ['__proto__', {}, 'unknown-call'],
    ['constructor', {}, 'unknown-call'],
    ['photos.list', { sort: 'name', offset: -1, limit: 10 }, 'invalid-arguments'],
    ['photos.list', { sort: 'name; DROP TABLE photos', offset: 0, limit: 10 }, 'invalid-arguments'],
    ['photos.list', { sort: 'name', offset: 0, limit: 1e9 }, 'invalid-arguments'],
    ['photos.list', 'not an object', 'invalid-arguments'],
    ['folders.remove', { folderId: '1 OR 1=1' }, 'invalid-arguments'],
    ['folders.remove', { folderId: 1.5 }, 'invalid-arguments'],
    ['links.openExternal', { url: 'file:///etc/passwd' }, 'invalid-arguments'],
    ['links.openExternal', { url: 'javascript:alert(1)' }, 'invalid-arguments'],
    ['links.openExternal', { url: 'http://example.com/' }, 'invalid-arguments'],
  ])('%s(%j) -> %s', (name, args, code) => {
    expect(() => validateCall(name, args)).toThrow(expect.objectContaining({ code }));
  });

  it('accepts well-formed calls', () => {
    expect(validateCall('photos.list', { sort: 'name', offset: 0, limit: 10 })).toMatchObject({
      offset: 0,
      limit: 10,
    });
    expect(validateCall('links.openExternal', { url: 'https://example.com/' })).toEqual({
      url: 'https://example.com/',
    });
  });

  it('registers only contract names, so no other channel exists to call', () => {
    expect(callNames.length).toBeGreaterThan(0);
    for (const name of callNames) expect(name).toMatch(/^[a-z]+(\.[a-zA-Z]+)+$/);
  });
});
