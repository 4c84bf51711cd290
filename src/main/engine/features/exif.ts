// EXIF facts Shoebox uses: when the photo was taken, with what camera, and how complete its EXIF
// is (keep-best prefers the copy that kept its metadata). The raw EXIF block comes from sharp's
// header read, so the file is not parsed a second time from disk.
import exifr from 'exifr';

export interface ExifFacts {
  takenAt: number | null;
  camera: string | null;
  exifFieldCount: number;
}

const NO_EXIF: ExifFacts = { takenAt: null, camera: null, exifFieldCount: 0 };

/**
 * @param exif sharp's `metadata().exif`: the APP1 payload, "Exif\0\0" then a TIFF structure.
 * Broken EXIF never fails a photo: the pixels are what matter, so it yields empty facts.
 */
export async function readExif(exif: Buffer | undefined): Promise<ExifFacts> {
  if (!exif || exif.length < 8) return NO_EXIF;
  const tiff = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? exif.subarray(6) : exif;
  let tags: Record<string, unknown> | undefined;
  try {
    tags = (await exifr.parse(tiff, {
      tiff: true,
      ifd0: {},
      exif: true,
      gps: true,
      ifd1: false,
      interop: false,
      makerNote: false,
      userComment: false,
      xmp: false,
      icc: false,
      iptc: false,
      jfif: false,
      ihdr: false,
      translateKeys: true,
      translateValues: false,
      reviveValues: false,
      sanitize: true,
      mergeOutput: true,
    })) as Record<string, unknown> | undefined;
  } catch {
    return NO_EXIF;
  }
  if (!tags) return NO_EXIF;
  const offset = stringTag(tags.OffsetTimeOriginal) ?? stringTag(tags.OffsetTime);
  const takenAt =
    parseExifDate(tags.DateTimeOriginal, offset) ?? parseExifDate(tags.CreateDate, offset);
  return {
    takenAt,
    camera: cameraName(stringTag(tags.Make), stringTag(tags.Model)),
    exifFieldCount: Object.keys(tags).length,
  };
}

function stringTag(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  // EXIF ASCII fields are NUL-padded and often space-padded by camera firmware.
  const trimmed = value.replace(/\0+$/g, '').trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * "YYYY:MM:DD HH:MM:SS" to ms since the epoch. EXIF wall-clock times carry no zone unless an
 * OffsetTime tag says so; without one the wall clock is read as UTC, so a file gives the same
 * number on every machine (show it with timeZone 'UTC' to get the camera's wall clock back).
 */
export function parseExifDate(value: unknown, offset: string | null = null): number | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(value.trim());
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1800 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23) return null;
  if (minute > 59 || second > 60) return null;
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const zone = offset ? /^([+-])(\d{2}):?(\d{2})$/.exec(offset) : null;
  if (zone) {
    const sign = zone[1] === '-' ? -1 : 1;
    ms -= sign * (Number(zone[2]) * 60 + Number(zone[3])) * 60_000;
  }
  return ms;
}

/**
 * "Make Model" without repeating the maker when the model already names it, e.g. Make "Canon",
 * Model "Canon EOS 5D" gives "Canon EOS 5D"; Make "NIKON CORPORATION", Model "NIKON D750" gives
 * "NIKON D750".
 */
export function cameraName(make: string | null, model: string | null): string | null {
  if (!make && !model) return null;
  if (!make) return model;
  if (!model) return make;
  const makeWord = make.split(/\s+/)[0]!.toLowerCase();
  if (
    model.toLowerCase().startsWith(make.toLowerCase()) ||
    model.toLowerCase().startsWith(makeWord)
  ) {
    return model;
  }
  return `${make} ${model}`;
}
