// Every way a photo can fail to index ends here as a PhotoFailure whose `reason` is one short,
// plain-English sentence the UI can show as is (lower case, no trailing full stop, no stack
// trace, no library jargon). The catalog stores the reason; the original error rides along as
// `cause` for logs only.
import type { ImageFormat } from '../../../shared/domain.ts';

export class PhotoFailure extends Error {
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'PhotoFailure';
    this.reason = reason;
  }
}

/** The reason for any error: a PhotoFailure's own, else a classified sentence (never a stack). */
export function describeFailure(error: unknown, format: ImageFormat = 'unknown'): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EACCES' || code === 'EPERM') return FailureReason.unreadable;
  if (code === 'ENOENT') return 'file disappeared before it could be read';
  if (code === 'EISDIR') return 'is a folder, not a file';
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `file cannot be read (${code})`;
  return failureFromDecoderError(error, format).reason;
}

export function isPhotoFailure(error: unknown): error is PhotoFailure {
  return error instanceof PhotoFailure;
}

/** Reasons that do not depend on the file's details; tests and the UI may match on these. */
export const FailureReason = {
  empty: 'file is empty',
  notImage: 'not an image',
  heic: 'HEIC images cannot be read by the bundled decoder',
  bmp: 'BMP images cannot be read by the bundled decoder',
  svg: 'SVG drawings are not opened, for safety',
  pdf: 'PDF documents are not opened, for safety',
  noPixels: 'image has no pixels',
  unreadable: 'file cannot be read (permission denied)',
} as const;

const FORMAT_NAMES: Record<ImageFormat, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  avif: 'AVIF',
  tiff: 'TIFF',
  heic: 'HEIC',
  bmp: 'BMP',
  svg: 'SVG',
  pdf: 'PDF',
  unknown: 'image',
};

export function formatName(format: ImageFormat): string {
  return FORMAT_NAMES[format];
}

/** The refusal for a sniffed format the bundled decoder must not or cannot open, else null. */
export function refusalFor(format: ImageFormat): PhotoFailure | null {
  switch (format) {
    case 'heic':
      return new PhotoFailure(FailureReason.heic);
    case 'bmp':
      return new PhotoFailure(FailureReason.bmp);
    case 'svg':
      return new PhotoFailure(FailureReason.svg);
    case 'pdf':
      return new PhotoFailure(FailureReason.pdf);
    case 'unknown':
      return new PhotoFailure(FailureReason.notImage);
    default:
      return null;
  }
}

export function overPixelLimit(width: number, height: number, maxPixels: number): PhotoFailure {
  const megapixels = maxPixels / 1e6;
  const limit = Number.isInteger(megapixels) ? `${megapixels}` : megapixels.toFixed(1);
  return new PhotoFailure(`image is ${width}x${height}, over the ${limit}-megapixel limit`);
}

/**
 * Turns whatever sharp/libvips threw into a sentence. libvips messages are technical
 * ("VipsJpeg: premature end of JPEG image", "vipspng: libpng read error"), so they are
 * classified, never shown.
 */
export function failureFromDecoderError(error: unknown, format: ImageFormat): PhotoFailure {
  if (error instanceof PhotoFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = formatName(format);
  let reason: string;
  if (/premature end|truncat|unexpected end|end of (file|data|stream)|short read/i.test(message)) {
    reason = `truncated ${name}`;
  } else if (/unsupported image format|not a known file format/i.test(message)) {
    reason = FailureReason.notImage;
  } else if (/exceeds pixel limit/i.test(message)) {
    reason = 'image is over the pixel limit';
  } else if (/out of memory|memory allocation|cannot allocate/i.test(message)) {
    reason = `${name} is too large to decode in memory`;
  } else if (/width|height|dimension/i.test(message) && /invalid|bad|zero/i.test(message)) {
    reason = `${name} has invalid dimensions`;
  } else {
    reason = `corrupt ${name}`;
  }
  return new PhotoFailure(reason, { cause: error });
}
