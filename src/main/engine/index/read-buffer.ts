// Reads a whole photo into memory the worker keeps from photo to photo. A fresh buffer per file
// costs more than the read itself: a 3 MB JPEG is new memory the system must map and zero, and
// measured in a decode worker that was 4 to 10 ms of processor time a photo, then 2 more in the
// hash's first pass over the new pages. Into memory already in use the read costs under 1 ms and
// the hash 2 ms (bench/README.md, "The whole command with faces", third round).
import type { FileHandle } from 'node:fs/promises';

/** Start with room for a typical camera JPEG; grow to fit larger files. */
const INITIAL_BYTES = 8 * 1024 * 1024;
/** Larger files get memory of their own, returned when they are done, not kept by the worker. */
const KEEP_AT_MOST_BYTES = 64 * 1024 * 1024;

export interface Loan {
  /** The file's bytes: valid until `release`, after which the memory holds the next file. */
  bytes: Buffer;
  release(): void;
}

export class ReadBuffer {
  private kept: Buffer | null = null;
  private lent = false;

  /** True while a photo's bytes are out: a read now would get memory of its own. */
  get isLent(): boolean {
    return this.lent;
  }

  /**
   * Reads an open file to its end, as fs's readFile does (`expectedSize` from its stat only
   * sizes the memory: a file still being written, or a pipe, is read until it ends). The bytes
   * must not be used after `release`: the worker lends each photo's bytes from a ReadBuffer not
   * in use (it keeps two: the photo it analyses and the next one) and releases them when that
   * photo's task ends, so nothing of one photo outlives its task.
   */
  async read(handle: FileHandle, expectedSize: number): Promise<Loan> {
    // A second photo while one is out (the worker asks another ReadBuffer) gets memory of its own.
    const reusing = !this.lent;
    this.lent = true;
    // One byte more than expected, so the end of a file of the expected size is seen without
    // growing.
    let memory = reusing ? this.keptFor(expectedSize + 1) : Buffer.allocUnsafe(expectedSize + 1);
    let filled = 0;
    try {
      for (;;) {
        if (filled === memory.length) {
          const larger = reusing ? this.keptFor(memory.length * 2) : Buffer.allocUnsafe(filled * 2);
          memory.copy(larger, 0, 0, filled);
          memory = larger;
        }
        // Position null: on from where the last read ended (a pipe has no positions).
        const { bytesRead } = await handle.read(memory, filled, memory.length - filled, null);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      if (reusing) this.lent = false;
      throw error;
    }
    let released = false;
    return {
      bytes: memory.subarray(0, filled),
      release: () => {
        if (released || !reusing) return;
        released = true;
        this.lent = false;
      },
    };
  }

  /** The kept memory if it has room for `size` bytes; otherwise larger memory, kept if not huge. */
  private keptFor(size: number): Buffer {
    if (this.kept && this.kept.length >= size) return this.kept;
    // Grown by doubling so a library of slowly larger files does not reallocate each time.
    let length = this.kept?.length ?? INITIAL_BYTES;
    while (length < size) length *= 2;
    if (length > KEEP_AT_MOST_BYTES) return Buffer.allocUnsafe(size);
    this.kept = Buffer.allocUnsafe(length);
    return this.kept;
  }
}
