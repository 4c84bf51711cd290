// The thumbnail cache is keyed by content hash, so duplicates and moved files share one file.
import { join } from 'node:path';

export function thumbnailPath(thumbnailDir: string, contentHash: string): string {
  return join(thumbnailDir, contentHash.slice(0, 2), `${contentHash}.webp`);
}
