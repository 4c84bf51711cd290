// Numbers for people: counts with separators, sizes in KB/MB/GB, durations in words.
const counter = new Intl.NumberFormat('en');

export function formatCount(n: number): string {
  return counter.format(n);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

export function formatRate(perSecond: number): string {
  return `${perSecond >= 10 ? Math.round(perSecond) : perSecond.toFixed(1)} photos/s`;
}

export function formatDate(ms: number | null): string {
  if (ms === null) return 'unknown';
  return new Date(ms).toLocaleString('en', { dateStyle: 'medium', timeStyle: 'short' });
}

export function fileName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] ?? path;
}

export function parentFolder(path: string): string {
  const index = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return index > 0 ? path.slice(0, index) : path;
}

/**
 * A cosine similarity: three decimals, or four where three would round a near copy up to 1.000;
 * a near copy never shows as 1 (that is for identical files).
 */
export function formatSimilarity(value: number): string {
  if (value >= 1) return '1.000';
  if (value < 0.9995) return value.toFixed(3);
  return value < 0.99995 ? value.toFixed(4) : '> 0.9999';
}
