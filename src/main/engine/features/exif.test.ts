import { describe, expect, it } from 'vitest';
import { cameraName, parseExifDate } from './exif.ts';

describe('parseExifDate', () => {
  it('reads the EXIF wall clock as UTC when no offset is recorded', () => {
    expect(parseExifDate('2021:06:01 12:34:56')).toBe(Date.UTC(2021, 5, 1, 12, 34, 56));
  });
  it('applies an OffsetTime when there is one', () => {
    expect(parseExifDate('2021:06:01 12:34:56', '+02:00')).toBe(Date.UTC(2021, 5, 1, 10, 34, 56));
    expect(parseExifDate('2021:06:01 12:34:56', '-05:30')).toBe(Date.UTC(2021, 5, 1, 18, 4, 56));
  });
  it('rejects the blank and impossible dates cameras write', () => {
    expect(parseExifDate('0000:00:00 00:00:00')).toBeNull();
    expect(parseExifDate('    :  :     :  :  ')).toBeNull();
    expect(parseExifDate('2021:13:01 00:00:00')).toBeNull();
    expect(parseExifDate(12345)).toBeNull();
  });
});

describe('cameraName', () => {
  it.each([
    ['Canon', 'Canon EOS 5D Mark IV', 'Canon EOS 5D Mark IV'],
    ['NIKON CORPORATION', 'NIKON D750', 'NIKON D750'],
    ['Apple', 'iPhone 12', 'Apple iPhone 12'],
    ['FUJIFILM', 'X-T3', 'FUJIFILM X-T3'],
    [null, 'X100V', 'X100V'],
    ['Leica', null, 'Leica'],
    [null, null, null],
  ])('%s + %s = %s', (make, model, expected) => {
    expect(cameraName(make, model)).toBe(expected);
  });
});
