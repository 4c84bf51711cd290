// Reads the first bytes of a file to tell whether an unknown-extension file is an image.
import { open } from 'node:fs/promises';
import { sniffFormat } from '../features/sniff.ts';

const SUPPORTED = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff', 'heic']);

export async function looksLikeImage(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
    const head = new Uint8Array(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return SUPPORTED.has(sniffFormat(head.subarray(0, bytesRead)));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
