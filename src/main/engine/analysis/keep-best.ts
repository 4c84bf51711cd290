// Keep-best: which photo of a duplicate group to suggest keeping, with a reason a person can check.
//
// The rules form a stack applied by elimination: every rule keeps only the candidates that are best
// (within a small tolerance) on its measure, and the next rule looks only at the survivors. This is
// easier to explain than a weighted score ("it lost on pixel count, full stop") and gives every
// other member one concrete reason: the rule at which it dropped out, against the keeper's value.
import { basename } from 'node:path';
import type { ImageFormat } from '../../../shared/domain.ts';

export interface KeepCandidate {
  id: number;
  path: string;
  width: number | null;
  height: number | null;
  format: ImageFormat | null;
  /** File size in bytes. */
  size: number;
  /** Higher is sharper (e.g. variance of the Laplacian); null when not measured. */
  sharpness?: number | null;
  /** How many EXIF fields the file carries; null when unknown. */
  exifFields?: number | null;
  /** Date taken, ms since the epoch; null when the file has none. */
  takenAt?: number | null;
  /** The photo lives in a reference folder: it is never suggested for removal. */
  inReferenceFolder: boolean;
}

export interface KeepSuggestion {
  id: number;
  keep: boolean;
  why: string;
}

/**
 * Format quality, higher is better. Pixel count is judged first, so this only separates copies of
 * equal size, where the question is which encoding lost least. Lossless files (TIFF from scans and
 * raw conversions, PNG, BMP) carry every pixel the source had. HEIC/AVIF are what phones write as
 * the original capture, so a JPEG of the same picture is usually a conversion of it. JPEG is the
 * common camera original. WebP is almost always a re-encode made for the web, and GIF is limited
 * to 256 colours. Vector or document formats and unknowns are not photos' originals: last.
 */
const FORMAT_RANK: Record<ImageFormat, number> = {
  tiff: 5,
  png: 5,
  bmp: 5,
  heic: 4,
  avif: 4,
  jpeg: 3,
  webp: 2,
  gif: 1,
  svg: 0,
  pdf: 0,
  unknown: 0,
};

const FORMAT_LABEL: Record<ImageFormat, string> = {
  tiff: 'TIFF (lossless)',
  png: 'PNG (lossless)',
  bmp: 'BMP (lossless)',
  heic: 'HEIC',
  avif: 'AVIF',
  jpeg: 'JPEG',
  webp: 'WebP',
  gif: 'GIF',
  svg: 'SVG',
  pdf: 'PDF',
  unknown: 'unknown format',
};

interface Rule {
  /** Measure where higher is better; -Infinity for "missing", which always loses. */
  value(c: KeepCandidate): number;
  /** Candidates within this fraction of the best count as equal (noisy or immaterial differences). */
  tolerance: number;
  win(keeper: KeepCandidate, other: KeepCandidate): string;
  lose(loser: KeepCandidate, keeper: KeepCandidate): string;
}

const pixels = (c: KeepCandidate): number =>
  c.width !== null && c.height !== null ? c.width * c.height : -Infinity;
const dims = (c: KeepCandidate): string =>
  c.width !== null && c.height !== null ? `${c.width}x${c.height}` : 'unknown size';
const formatLabel = (c: KeepCandidate): string => FORMAT_LABEL[c.format ?? 'unknown'];
const sharpnessLabel = (c: KeepCandidate): string =>
  c.sharpness === null || c.sharpness === undefined ? 'not measured' : c.sharpness.toFixed(1);
const exifLabel = (c: KeepCandidate): string =>
  c.exifFields === null || c.exifFields === undefined ? 'no EXIF' : `${c.exifFields} EXIF fields`;
const dateLabel = (c: KeepCandidate): string =>
  c.takenAt === null || c.takenAt === undefined
    ? 'no date taken'
    : new Date(c.takenAt).toISOString().slice(0, 10);

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  // Three significant figures: enough to tell copies apart, short enough to read.
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

const RULES: Rule[] = [
  {
    value: pixels,
    tolerance: 0,
    win: (k, o) => `largest image: ${dims(k)} vs ${dims(o)}`,
    lose: (l, k) => `smaller image: ${dims(l)} vs ${dims(k)}`,
  },
  {
    value: (c) => FORMAT_RANK[c.format ?? 'unknown'],
    tolerance: 0,
    win: (k, o) => `better format: ${formatLabel(k)} vs ${formatLabel(o)}`,
    lose: (l, k) => `weaker format: ${formatLabel(l)} vs ${formatLabel(k)}`,
  },
  {
    // Same pixels and format: the bigger file was compressed less. Under 1 % is noise (metadata).
    value: (c) => c.size,
    tolerance: 0.01,
    win: (k, o) => `largest file: ${formatBytes(k.size)} vs ${formatBytes(o.size)}`,
    lose: (l, k) => `smaller file: ${formatBytes(l.size)} vs ${formatBytes(k.size)}`,
  },
  {
    // Sharpness measures wobble by a few per cent between re-encodes of one picture.
    value: (c) => c.sharpness ?? -Infinity,
    tolerance: 0.05,
    win: (k, o) => `sharpest: ${sharpnessLabel(k)} vs ${sharpnessLabel(o)}`,
    lose: (l, k) => `less sharp: ${sharpnessLabel(l)} vs ${sharpnessLabel(k)}`,
  },
  {
    value: (c) => c.exifFields ?? -Infinity,
    tolerance: 0,
    win: (k, o) => `most complete EXIF: ${exifLabel(k)} vs ${exifLabel(o)}`,
    lose: (l, k) => `less EXIF: ${exifLabel(l)} vs ${exifLabel(k)}`,
  },
  {
    // The earlier capture is the original; later dates come from edits and exports.
    value: (c) => (c.takenAt === null || c.takenAt === undefined ? -Infinity : -c.takenAt),
    tolerance: 0,
    win: (k, o) => `taken earliest: ${dateLabel(k)} vs ${dateLabel(o)}`,
    lose: (l, k) => `taken later: ${dateLabel(l)} vs ${dateLabel(k)}`,
  },
];

function withinTolerance(v: number, best: number, tolerance: number): boolean {
  if (v === best) return true;
  if (!Number.isFinite(v) || !Number.isFinite(best)) return false;
  return v >= best - Math.abs(best) * tolerance;
}

// Plain code-unit order, not localeCompare: the tie-break must not depend on the machine's locale.
const byPath = (a: KeepCandidate, b: KeepCandidate): number =>
  a.path < b.path ? -1 : a.path > b.path ? 1 : a.id - b.id;

/**
 * Suggests which members of one duplicate group to keep. Returns one suggestion per member, in
 * the order given. Members in reference folders are all kept and the rest suggested for removal;
 * otherwise exactly one member is kept, chosen by the rule stack: pixel count, format quality,
 * file size, sharpness, EXIF completeness, older date taken, and finally path (deterministic).
 */
export function suggestKeeper(members: readonly KeepCandidate[]): KeepSuggestion[] {
  if (members.length === 0) return [];
  if (members.length === 1) return [{ id: members[0]!.id, keep: true, why: 'only copy' }];

  const refs = members.filter((m) => m.inReferenceFolder);
  if (refs.length > 0) {
    const firstRef = [...refs].sort(byPath)[0]!;
    return members.map((m) =>
      m.inReferenceFolder
        ? { id: m.id, keep: true, why: 'in a reference folder' }
        : {
            id: m.id,
            keep: false,
            why: `a copy in a reference folder is kept (${basename(firstRef.path)})`,
          },
    );
  }

  // Which rule removed each candidate; losers are explained once the keeper is known.
  const removedBy = new Map<KeepCandidate, Rule>();
  let alive = [...members];
  // The keeper's reason: the rule that removed its last rival, against the best of those removed.
  let keeperWhy = (_keeper: KeepCandidate): string => 'equal on every rule; first by path';
  for (const rule of RULES) {
    if (alive.length === 1) break;
    let best = -Infinity;
    for (const c of alive) best = Math.max(best, rule.value(c));
    if (best === -Infinity) continue; // no candidate has the measure: nothing to compare
    const survivors = alive.filter((c) => withinTolerance(rule.value(c), best, rule.tolerance));
    if (survivors.length === alive.length) continue;
    const dropped = alive.filter((c) => !survivors.includes(c));
    for (const d of dropped) removedBy.set(d, rule);
    alive = survivors;
    if (alive.length === 1) {
      const runnerUp = dropped.reduce((a, b) => (rule.value(b) > rule.value(a) ? b : a));
      keeperWhy = (k) => rule.win(k, runnerUp);
    }
  }
  alive.sort(byPath);
  const keeper = alive[0]!;
  const why = new Map<KeepCandidate, string>();
  for (const d of alive.slice(1)) {
    why.set(d, `equal on every rule to ${basename(keeper.path)}, which comes first by path`);
  }
  for (const [d, rule] of removedBy) why.set(d, rule.lose(d, keeper));

  return members.map((m) =>
    m === keeper
      ? { id: m.id, keep: true, why: keeperWhy(keeper) }
      : { id: m.id, keep: false, why: why.get(m)! },
  );
}
