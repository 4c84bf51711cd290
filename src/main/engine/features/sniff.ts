// Recognises a file by its first bytes. Shoebox never trusts a file name: a PNG called .jpg is a
// PNG, and an SVG called .png is an SVG (which must never reach an image loader).
import type { ImageFormat } from '../../../shared/domain.ts';

/** How many leading bytes `sniffFormat` wants to see; fewer still work for most formats. */
export const SNIFF_BYTES = 4096;

const AVIF_BRANDS = new Set(['avif', 'avis']);
// HEIF brands whose payload the bundled libvips cannot decode (HEVC), plus the generic HEIF
// brands, which without an AV1 brand alongside mean an HEVC-coded file in practice.
const HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const GENERIC_HEIF_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);

export function sniffFormat(head: Uint8Array): ImageFormat {
  if (startsWith(head, 0, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a') return 'gif';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'WEBP') return 'webp';
  if (ascii(head, 4, 4) === 'ftyp') return sniffIsoBmff(head);
  // Classic TIFF ('*' = 42) and BigTIFF ('+' = 43), little- and big-endian.
  if (
    startsWith(head, 0, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(head, 0, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(head, 0, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(head, 0, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return 'tiff';
  }
  if (isBmp(head)) return 'bmp';
  return sniffText(head);
}

/** ISO base media file: the ftyp box lists a major brand and compatible brands. */
function sniffIsoBmff(head: Uint8Array): ImageFormat {
  const boxSize = readU32BE(head, 0);
  const end = Math.min(head.length, boxSize >= 16 ? boxSize : 16);
  const brands: string[] = [ascii(head, 8, 4)];
  // Bytes 12..16 are the minor version; compatible brands follow, four bytes each.
  for (let offset = 16; offset + 4 <= end; offset += 4) brands.push(ascii(head, offset, 4));
  const major = brands[0]!;
  if (AVIF_BRANDS.has(major)) return 'avif';
  if (HEIC_BRANDS.has(major)) return 'heic';
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'avif';
  if (brands.some((brand) => HEIC_BRANDS.has(brand) || GENERIC_HEIF_BRANDS.has(brand))) {
    return 'heic';
  }
  return 'unknown'; // MP4, QuickTime, 3GP...: ISO files, not still images
}

/** 'BM' alone is two letters any text could start with, so check the header's fixed fields too. */
function isBmp(head: Uint8Array): boolean {
  if (head.length < 18 || head[0] !== 0x42 || head[1] !== 0x4d) return false;
  const reservedZero = head[6] === 0 && head[7] === 0 && head[8] === 0 && head[9] === 0;
  const dibSize = readU32LE(head, 14);
  return reservedZero && [12, 16, 40, 52, 56, 64, 108, 124].includes(dibSize);
}

function sniffText(head: Uint8Array): ImageFormat {
  let start = 0;
  if (startsWith(head, 0, [0xef, 0xbb, 0xbf])) start = 3; // UTF-8 byte order mark
  while (start < head.length && isSpace(head[start]!)) start++;
  if (ascii(head, start, 5) === '%PDF-') return 'pdf';
  if (head[start] !== 0x3c /* '<' */) return 'unknown';
  // An SVG may open with an XML declaration, comments and a DOCTYPE before the <svg> element.
  const text = new TextDecoder('utf-8', { fatal: false })
    .decode(head.subarray(start, Math.min(head.length, SNIFF_BYTES)))
    .toLowerCase();
  if (/<svg[\s>/]/.test(text) || text.includes('<!doctype svg')) return 'svg';
  return 'unknown';
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0x0c;
}

function startsWith(head: Uint8Array, offset: number, bytes: number[]): boolean {
  if (head.length < offset + bytes.length) return false;
  return bytes.every((byte, i) => head[offset + i] === byte);
}

function ascii(head: Uint8Array, offset: number, length: number): string {
  if (head.length < offset + length) return '';
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(head[offset + i]!);
  return out;
}

function readU32BE(head: Uint8Array, offset: number): number {
  if (head.length < offset + 4) return 0;
  return (
    ((head[offset]! << 24) >>> 0) +
    (head[offset + 1]! << 16) +
    (head[offset + 2]! << 8) +
    head[offset + 3]!
  );
}

function readU32LE(head: Uint8Array, offset: number): number {
  if (head.length < offset + 4) return 0;
  return (
    head[offset]! +
    (head[offset + 1]! << 8) +
    (head[offset + 2]! << 16) +
    ((head[offset + 3]! << 24) >>> 0)
  );
}
