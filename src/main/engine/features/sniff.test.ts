import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { sniffFormat } from './sniff.ts';

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Uint8Array.from(
    parts.flatMap((part) => (typeof part === 'string' ? [...Buffer.from(part, 'latin1')] : part)),
  );

/** An ISO-BMFF ftyp box: size, 'ftyp', major brand, minor version 0, compatible brands. */
const ftyp = (major: string, ...compatible: string[]): Uint8Array => {
  const size = 16 + 4 * compatible.length;
  return bytes([0, 0, 0, size], 'ftyp', major, [0, 0, 0, 0], compatible.join(''), [0, 0, 0, 8]);
};

describe('sniffFormat', () => {
  const table: Array<[string, Uint8Array, string]> = [
    ['JPEG (JFIF)', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF'), 'jpeg'],
    ['JPEG (EXIF)', bytes([0xff, 0xd8, 0xff, 0xe1, 0x12, 0x34], 'Exif'), 'jpeg'],
    ['PNG', bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13], 'IHDR'), 'png'],
    ['GIF87a', bytes('GIF87a', [1, 0, 1, 0]), 'gif'],
    ['GIF89a', bytes('GIF89a', [1, 0, 1, 0]), 'gif'],
    ['WebP', bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '), 'webp'],
    ['RIFF that is not WebP (WAV)', bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '), 'unknown'],
    ['AVIF (major avif)', ftyp('avif', 'mif1', 'miaf'), 'avif'],
    ['AVIF sequence', ftyp('avis', 'msf1', 'avif'), 'avif'],
    ['AVIF behind a generic major brand', ftyp('mif1', 'avif', 'miaf'), 'avif'],
    ['HEIC (major heic)', ftyp('heic', 'mif1', 'heic'), 'heic'],
    ['HEIC behind a generic major brand', ftyp('mif1', 'heic'), 'heic'],
    ['HEIF sequence (hevc)', ftyp('hevc', 'msf1'), 'heic'],
    ['generic HEIF, no codec brand', ftyp('mif1', 'miaf'), 'heic'],
    ['MP4 video', ftyp('isom', 'iso2', 'avc1', 'mp41'), 'unknown'],
    ['TIFF little-endian', bytes('II', [42, 0, 8, 0, 0, 0]), 'tiff'],
    ['TIFF big-endian', bytes('MM', [0, 42, 0, 0, 0, 8]), 'tiff'],
    ['BigTIFF', bytes('II', [43, 0, 8, 0, 0, 0]), 'tiff'],
    ['BMP', bytes('BM', [0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0]), 'bmp'],
    ['text starting with BM', bytes('BMW owners club newsletter, issue 4'), 'unknown'],
    ['SVG', bytes('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), 'svg'],
    [
      'SVG with BOM, declaration, comment and doctype',
      bytes(
        [0xef, 0xbb, 0xbf],
        '  \n<?xml version="1.0"?>\n<!-- drawn by hand -->\n',
        '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x">\n<svg width="1"/>',
      ),
      'svg',
    ],
    ['XML that is not SVG', bytes('<?xml version="1.0"?><rss version="2.0"></rss>'), 'unknown'],
    ['HTML', bytes('<!doctype html><html><body>hi</body></html>'), 'unknown'],
    ['PDF', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), 'pdf'],
    ['plain text', bytes('hello, this is not a photo\n'), 'unknown'],
    ['empty', new Uint8Array(0), 'unknown'],
    ['one byte', bytes([0xff]), 'unknown'],
    ['JPEG signature cut short', bytes([0xff, 0xd8]), 'unknown'],
  ];
  it.each(table)('%s', (_name, head, expected) => {
    expect(sniffFormat(head)).toBe(expected);
  });

  it('agrees with what sharp writes', async () => {
    const image = sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } });
    expect(sniffFormat(await image.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(sniffFormat(await image.clone().png().toBuffer())).toBe('png');
    expect(sniffFormat(await image.clone().webp().toBuffer())).toBe('webp');
    expect(sniffFormat(await image.clone().gif().toBuffer())).toBe('gif');
    expect(sniffFormat(await image.clone().tiff().toBuffer())).toBe('tiff');
    expect(sniffFormat(await image.clone().avif().toBuffer())).toBe('avif');
  });
});
