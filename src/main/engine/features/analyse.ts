// One photo in, everything Shoebox derives from its pixels out, from a single decode.
//
// Pipeline: sniff the magic bytes (refuse what the bundled decoder must not or cannot open) ->
// read the header with sharp (pixel limit, orientation, EXIF) -> ONE decode: EXIF orientation
// applied, shrink-on-load straight to the working size, 8-bit sRGB -> thumbnail, palette,
// histogram, hashes, fingerprint, CLIP pixels and sharpness, all from that working copy.
import sharp from 'sharp';
import type { Metadata, Sharp } from 'sharp';
import type { ImageFormat, PaletteColour } from '../../../shared/domain.ts';
import { readExif } from './exif.ts';
import {
  PhotoFailure,
  FailureReason,
  failureFromDecoderError,
  overPixelLimit,
  refusalFor,
} from './failures.ts';
import { FINGERPRINT_DIM, visualFingerprint } from './fingerprint.ts';
import { colourHistogram } from './histogram.ts';
import { extractPalette } from './palette.ts';
import { perceptualHash, PHASH_GRID } from './phash.ts';
import {
  areaAverageRgb,
  labOf,
  laplacianVariance,
  lumaOf,
  miniatureOf,
  sampleLab,
  type WorkingImage,
} from './pixels.ts';
import { SNIFF_BYTES, sniffFormat } from './sniff.ts';
import { FEATURE_VERSIONS, type FeatureVersions } from './versions.ts';

export { FEATURE_VERSIONS, FINGERPRINT_DIM };
export type { FeatureVersions };

export const DEFAULT_MAX_PIXELS = 100e6;
export const DEFAULT_THUMBNAIL_SIZE = 384;
export const CLIP_INPUT_SIZE = 224;
/** Side of the point-sampled copy the palette and histogram are computed from. */
const COLOUR_SAMPLE_SIDE = 64;

/** Formats handed to sharp. Everything else is refused on its magic bytes alone. */
const DECODABLE: ReadonlySet<ImageFormat> = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff']);

export interface AnalyseOptions {
  /** Refuse images with more pixels than this (default 100 megapixels). */
  maxPixels?: number;
  /**
   * Long edge of the thumbnail (default 384). Features are computed on a working copy of
   * max(384, thumbnailSize): a smaller thumbnail leaves them exactly as they are, a larger one
   * (which costs a bigger decode) changes them by resampling noise only.
   */
  thumbnailSize?: number;
  /** Make the 224x224 crop CLIP needs (default true); the indexer asks only with a model active. */
  clipInput?: boolean;
}

export interface PhotoAnalysis {
  format: ImageFormat;
  /** Displayed size: EXIF orientation applied. */
  width: number;
  height: number;
  /** EXIF orientation tag 1..8, or null when the file has none. */
  orientation: number | null;
  takenAt: number | null;
  camera: string | null;
  exifFieldCount: number;
  /** Variance of the Laplacian of the working copy's luma; higher is sharper. */
  sharpness: number;
  /** WebP, long edge thumbnailSize (never enlarged), aspect kept, transparency kept. */
  thumbnail: Buffer;
  thumbnailWidth: number;
  thumbnailHeight: number;
  palette: PaletteColour[];
  histogram: Float32Array;
  phash: string;
  fingerprint: Float32Array;
  /**
   * The photo at 32x32 (stretched), RGB bytes, alpha over white: the pixels duplicate detection
   * checks a candidate pair against (analysis/picture-check.ts).
   */
  miniature: Uint8Array;
  /**
   * 224x224x3 RGB bytes, row-major, HWC; shortest edge resized to 224 (bicubic), centre crop.
   * Empty when `clipInput: false` was asked.
   */
  clipInput: Uint8Array;
  versions: FeatureVersions;
}

/** What the header says, checked: the format and displayed size, before any pixel is decoded. */
export interface PhotoHeader {
  format: ImageFormat;
  /** Displayed size: EXIF orientation applied. */
  width: number;
  height: number;
  orientation: number | null;
  /** Raw EXIF block from the header, if any. */
  exif: Buffer | undefined;
}

/** The one decode: header facts plus the oriented, shrunk 8-bit sRGB working copy. */
export interface DecodedPhoto extends PhotoHeader {
  working: WorkingImage;
}

// failOn 'error': truncated or undecodable data fails instead of indexing grey, while the benign
// warnings many camera JPEGs carry (extraneous bytes, odd markers) do not. pages 1: an animated
// GIF/WebP is indexed by its first frame.
const DECODER_INPUT = { failOn: 'error' as const, pages: 1 };

/**
 * Sniffs, checks the header and decodes once. Throws only PhotoFailure. Exported for tools that
 * need the working copy itself (benchmarks, fingerprint experiments).
 */
export async function decodePhoto(
  bytes: Buffer,
  options: AnalyseOptions = {},
): Promise<DecodedPhoto> {
  return await decodeWorkingCopy(bytes, await readHeader(bytes, options), options);
}

/**
 * The first half of decodePhoto: sniffs the magic bytes (refusing what the bundled decoder must
 * not or cannot open) and reads and checks the header (size, pixel limit, orientation, EXIF).
 * Throws only PhotoFailure.
 */
export async function readHeader(
  bytes: Buffer,
  options: AnalyseOptions = {},
): Promise<PhotoHeader> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (bytes.length === 0) throw new PhotoFailure(FailureReason.empty);
  const format = sniffFormat(bytes.subarray(0, SNIFF_BYTES));
  const refusal = refusalFor(format);
  if (refusal) throw refusal;
  if (!DECODABLE.has(format)) throw new PhotoFailure(FailureReason.notImage);

  let metadata: Metadata;
  try {
    // The header read must not apply the limit itself: its error would not name the size.
    metadata = await sharp(bytes, { ...DECODER_INPUT, limitInputPixels: false }).metadata();
  } catch (error) {
    throw failureFromDecoderError(error, format);
  }
  const storedWidth = metadata.width ?? 0;
  const storedHeight = metadata.pageHeight ?? metadata.height ?? 0;
  if (storedWidth <= 0 || storedHeight <= 0) throw new PhotoFailure(FailureReason.noPixels);
  if (storedWidth * storedHeight > maxPixels) {
    throw overPixelLimit(storedWidth, storedHeight, maxPixels);
  }
  const orientation = metadata.orientation ?? null;
  const swapped = orientation !== null && orientation >= 5 && orientation <= 8;
  return {
    format,
    width: swapped ? storedHeight : storedWidth,
    height: swapped ? storedWidth : storedHeight,
    orientation,
    exif: metadata.exif,
  };
}

/**
 * The second half of decodePhoto: the one decode, from bytes whose header `readHeader` passed.
 * The decode is under way (on a libvips thread) when this returns its promise, so a caller can
 * do other work on this thread meanwhile. Throws only PhotoFailure.
 */
export async function decodeWorkingCopy(
  bytes: Buffer,
  header: PhotoHeader,
  options: AnalyseOptions = {},
): Promise<DecodedPhoto> {
  const workingSize = workingSizeFor(options);
  try {
    // resize() right after the load lets libvips shrink-on-load (JPEG DCT scaling, WebP and
    // AVIF scaled decode): a 4000x3000 JPEG is decoded at 1/8 scale, exactly as a bare
    // thumbnailer would, so the features ride on the decode a thumbnail needs anyway.
    const { data, info } = await sharp(bytes, {
      ...DECODER_INPUT,
      limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS,
    })
      .autoOrient()
      .resize(workingSize, workingSize, { fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const working = {
      data,
      width: info.width,
      height: info.height,
      channels: toWorkingChannels(info.channels),
    };
    return { ...header, working };
  } catch (error) {
    throw failureFromDecoderError(error, header.format);
  }
}

export async function analysePhoto(
  bytes: Buffer,
  options: AnalyseOptions = {},
): Promise<PhotoAnalysis> {
  return await analyseDecoded(await decodePhoto(bytes, options), options);
}

/** Every feature from one decode (decodePhoto's), for callers that also use the working copy. */
export async function analyseDecoded(
  decoded: DecodedPhoto,
  options: AnalyseOptions = {},
): Promise<PhotoAnalysis> {
  const { format, width, height, orientation, working, exif: exifBlock } = decoded;
  // The encodes run on libvips threads while the pixel features are computed here.
  const pending = Promise.all([
    readExif(exifBlock),
    encodeThumbnail(working, options.thumbnailSize ?? DEFAULT_THUMBNAIL_SIZE),
    options.clipInput === false ? Promise.resolve(NO_CLIP_INPUT) : makeClipInput(working),
  ]);
  // Keep the rejection handled while the synchronous work below runs.
  pending.catch(() => undefined);
  const colourSamples = sampleLab(working, COLOUR_SAMPLE_SIDE);
  const rgb32 = areaAverageRgb(working, PHASH_GRID, PHASH_GRID);
  const palette = extractPalette(colourSamples);
  const histogram = colourHistogram(colourSamples);
  const phash = perceptualHash(lumaOf(rgb32));
  const fingerprint = visualFingerprint(labOf(rgb32));
  const miniature = miniatureOf(rgb32);
  const sharpness = laplacianVariance(working);
  let exif: Awaited<ReturnType<typeof readExif>>;
  let thumbnail: Awaited<ReturnType<typeof encodeThumbnail>>;
  let clipInput: Uint8Array;
  try {
    [exif, thumbnail, clipInput] = await pending;
  } catch (error) {
    throw failureFromDecoderError(error, format);
  }
  return {
    format,
    width,
    height,
    orientation,
    takenAt: exif.takenAt,
    camera: exif.camera,
    exifFieldCount: exif.exifFieldCount,
    sharpness,
    thumbnail: thumbnail.data,
    thumbnailWidth: thumbnail.width,
    thumbnailHeight: thumbnail.height,
    palette,
    histogram,
    phash,
    fingerprint,
    miniature,
    clipInput,
    versions: FEATURE_VERSIONS,
  };
}

/**
 * The working copy is never smaller than the default thumbnail, so features (and their stored
 * versions) do not depend on a thumbnail-size setting; a larger thumbnail enlarges it.
 */
function workingSizeFor(options: AnalyseOptions): number {
  return Math.max(DEFAULT_THUMBNAIL_SIZE, options.thumbnailSize ?? DEFAULT_THUMBNAIL_SIZE);
}

function toWorkingChannels(channels: number): 3 | 4 {
  // toColourspace('srgb') turns grey into RGB and grey+alpha into RGBA, so only 3 or 4 remain.
  if (channels === 3 || channels === 4) return channels;
  throw new PhotoFailure(`image has an unsupported layout of ${channels} channels`);
}

function rawInput(working: WorkingImage): Sharp {
  return sharp(working.data, {
    raw: { width: working.width, height: working.height, channels: working.channels },
  });
}

async function encodeThumbnail(
  working: WorkingImage,
  size: number,
): Promise<{ data: Buffer; width: number; height: number }> {
  // At the default size the working copy is the thumbnail, so this is an encode, not a resize.
  let image = rawInput(working);
  if (Math.max(working.width, working.height) > size) {
    image = image.resize(size, size, { fit: 'inside' });
  }
  // Effort 2 of libwebp's 0-6 (sharp's default is 4): half the encoding time (7 ms against 14
  // for a 384 px thumbnail, a tenth of a photo's whole analysis) for 3 % more bytes and a
  // difference in fidelity of about 0.1 dB; 3 is no faster than 4, 1 and 0 grow files by a fifth.
  const { data, info } = await image
    .webp({ quality: 80, effort: 2 })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Stands in for the CLIP crop when none was asked for (no model active). */
const NO_CLIP_INPUT = new Uint8Array(0);

async function makeClipInput(working: WorkingImage): Promise<Uint8Array> {
  // fit 'cover' + centre = resize the shortest edge to 224, then crop the middle 224x224.
  const { data } = await rawInput(working)
    .flatten({ background: '#ffffff' })
    .resize(CLIP_INPUT_SIZE, CLIP_INPUT_SIZE, { fit: 'cover', position: 'centre', kernel: 'cubic' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
