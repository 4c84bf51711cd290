import { describe, expect, it } from 'vitest';
import {
  ContractError,
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
