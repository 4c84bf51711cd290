import { describe, expect, it } from 'vitest';
import {
  ContractError,
  MAX_UPLOAD_BYTES,
  callNames,
  calls,
  deserializeError,
  eventNames,
  isCallName,
  isEventName,
  isSafeExternalUrl,
  serializeError,
  validateCall,
} from './api.ts';

describe('the contract', () => {
  it('names every call and event domain.verb', () => {
    for (const name of [...callNames, ...eventNames]) {
      expect(name).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
    }
  });

  it('knows its own names and no others', () => {
    expect(isCallName('photos.list')).toBe(true);
    expect(isCallName('toString')).toBe(false);
    expect(isCallName('__proto__')).toBe(false);
    expect(isEventName('index.progress')).toBe(true);
    expect(isEventName('photos.list')).toBe(false);
  });

  it('places every call at a site the transports know', () => {
    for (const name of callNames) {
      expect(['engine', 'desktop', 'transport']).toContain(calls[name].site);
    }
  });
});

describe('validateCall', () => {
  it('returns parsed arguments, trimming a folder path', () => {
    expect(validateCall('folders.add', { path: '  /photos  ' })).toEqual({ path: '/photos' });
    expect(validateCall('photos.list', { sort: 'name', offset: 0, limit: 10 })).toEqual({
      sort: 'name',
      offset: 0,
      limit: 10,
    });
  });

  it('treats missing arguments of an argument-less call as empty', () => {
    expect(validateCall('library.status', undefined)).toEqual({});
  });

  it('refuses unknown calls', () => {
    expect(() => validateCall('photos.delete', {})).toThrow(/no call named "photos.delete"/);
    try {
      validateCall('constructor', {});
    } catch (error) {
      expect((error as ContractError).code).toBe('unknown-call');
    }
  });

  it('refuses wrong types, ranges and extra fields with a sentence', () => {
    const cases: [string, unknown][] = [
      ['folders.add', { path: 3 }],
      ['folders.add', { path: '   ' }],
      ['folders.add', { path: 'a\0b' }],
      ['photos.list', { sort: 'colour', offset: 0, limit: 10 }],
      ['photos.list', { sort: 'name', offset: -1, limit: 10 }],
      ['photos.list', { sort: 'name', offset: 0, limit: 1_000_000 }],
      ['photos.get', { photoId: 1.5 }],
      ['photos.get', { photoId: '7' }],
      ['folders.remove', { folderId: 1, also: 'this' }],
      ['library.status', { sneaky: true }],
      ['links.openExternal', { url: 'file:///etc/passwd' }],
    ];
    for (const [name, args] of cases) {
      let caught: unknown;
      try {
        validateCall(name, args);
      } catch (error) {
        caught = error;
      }
      expect(caught, `${name} ${JSON.stringify(args)}`).toBeInstanceOf(ContractError);
      expect((caught as ContractError).code).toBe('invalid-arguments');
      expect((caught as ContractError).message).toContain(name);
    }
  });

  it('accepts the analysis and trash calls the screens make', () => {
    expect(validateCall('duplicates.list', {})).toEqual({});
    expect(validateCall('duplicates.list', { threshold: 0.93 })).toEqual({ threshold: 0.93 });
    expect(validateCall('clusters.list', { k: 'auto' })).toEqual({ k: 'auto' });
    expect(
      validateCall('colours.search', { colours: [{ hex: '#A0b1C2', share: 0.5 }], k: 60 }),
    ).toEqual({ colours: [{ hex: '#A0b1C2', share: 0.5 }], k: 60 });
    const expected = { size: 10, mtimeMs: 1.5, contentHash: 'ab' };
    expect(
      validateCall('trash.remove', {
        items: [{ path: ' /p/a.jpg ', expected, keeper: { path: '/p/b.jpg', expected } }],
      }),
    ).toEqual({
      items: [{ path: '/p/a.jpg', expected, keeper: { path: '/p/b.jpg', expected } }],
    });
    expect(validateCall('search.text', { text: '  a red car ', k: 20 })).toEqual({
      text: 'a red car',
      k: 20,
    });
  });

  it('refuses malformed analysis, trash and upload arguments', () => {
    const expected = { size: 10, mtimeMs: 1, contentHash: 'ab' };
    const cases: [string, unknown][] = [
      ['duplicates.list', { threshold: 1.2 }],
      ['duplicates.decide', { photoIds: [1], kind: 'keep-all' }],
      ['duplicates.decide', { photoIds: [1, 2], kind: 'delete' }],
      ['trash.remove', { items: [] }],
      ['trash.remove', { items: [{ path: '/a', expected: { size: 1 } }] }],
      ['trash.remove', { items: [{ path: '/a', expected, extra: 1 }] }],
      ['trash.restore', { ids: [] }],
      ['trash.restore', { ids: [1], onConflict: 'overwrite' }],
      ['clusters.list', { k: 1 }],
      ['clusters.list', { k: 'many' }],
      ['colours.search', { colours: [], k: 10 }],
      ['colours.search', { colours: [{ hex: 'red' }], k: 10 }],
      ['colours.search', { colours: Array(6).fill({ hex: '#000000' }), k: 10 }],
      ['similar.photo', { photoId: 1, by: 'shape', k: 10 }],
      ['similar.photo', { photoId: 1, by: 'content', k: 0 }],
      ['similar.upload', { name: 'a.jpg', bytesBase64: 'not base64!', by: 'content', k: 5 }],
      ['similar.upload', { name: 'a.jpg', bytesBase64: '', by: 'content', k: 5 }],
      ['search.text', { text: '   ', k: 5 }],
      ['models.import', { dir: '' }],
    ];
    for (const [name, args] of cases) {
      let caught: unknown;
      try {
        validateCall(name, args);
      } catch (error) {
        caught = error;
      }
      expect(caught, `${name} ${JSON.stringify(args)}`).toBeInstanceOf(ContractError);
      expect((caught as ContractError).code).toBe('invalid-arguments');
    }
  });

  it('caps an uploaded file at MAX_UPLOAD_BYTES', () => {
    const fits = 'A'.repeat((MAX_UPLOAD_BYTES / 3) * 4);
    expect(() =>
      validateCall('similar.upload', { name: 'x.jpg', bytesBase64: fits, by: 'colour', k: 5 }),
    ).not.toThrow();
    expect(() =>
      validateCall('similar.upload', {
        name: 'x.jpg',
        bytesBase64: fits + 'AAAA',
        by: 'colour',
        k: 5,
      }),
    ).toThrow(/Files up to 25 MB/);
  });

  it('explains an empty folder path in plain words', () => {
    expect(() => validateCall('folders.add', { path: '' })).toThrow('Type the path of a folder.');
  });
});

describe('errors across a transport', () => {
  it('keep their code and message', () => {
    const back = deserializeError(serializeError(new ContractError('not-found', 'No such photo.')));
    expect(back).toBeInstanceOf(ContractError);
    expect(back.code).toBe('not-found');
    expect(back.message).toBe('No such photo.');
  });

  it('turn any other error into a failure with its message', () => {
    expect(serializeError(new Error('disk full'))).toEqual({
      code: 'failed',
      message: 'disk full',
    });
    expect(serializeError('odd')).toEqual({ code: 'failed', message: 'odd' });
  });
});

describe('isSafeExternalUrl', () => {
  it('allows plain https links', () => {
    expect(isSafeExternalUrl('https://github.com/shoebox/shoebox#readme')).toBe(true);
    expect(isSafeExternalUrl('https://example.org:8443/a?b=c')).toBe(true);
  });

  it('refuses other schemes, credentials and odd hosts', () => {
    for (const url of [
      'http://example.org',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'https://user:pass@example.org/',
      'https://example.org@evil.test/',
      'https:///nohost',
      'https://exa mple.org',
      ' https://example.org',
      'shoebox://app/library',
    ]) {
      expect(isSafeExternalUrl(url), url).toBe(false);
    }
  });
});
