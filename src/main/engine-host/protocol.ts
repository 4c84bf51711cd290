// Messages between Electron's main process and the engine host (a utility process). The
// contract's engine calls travel as they are; two private requests serve the media protocol
// and "show in folder", which need a path the renderer must never see. One request goes the other
// way: the engine asks main to move a file to the OS trash.
import type { EventName, SerializedError } from '../../shared/api.ts';
import type { MediaKind } from '../handlers/media.ts';

export type ToHost =
  | { kind: 'call'; id: number; name: string; args: unknown }
  | { kind: 'media'; id: number; media: MediaKind; idText: string }
  /** Main's answer to 'trashItem': null when the OS took the file, else its reason. */
  | { kind: 'trashItemDone'; requestId: number; error: string | null }
  | { kind: 'close' };

export type FromHost =
  | { kind: 'ready'; dir: string }
  | { kind: 'result'; id: number; ok: true; value: unknown }
  | { kind: 'result'; id: number; ok: false; error: SerializedError }
  | { kind: 'event'; name: EventName; payload: unknown }
  | { kind: 'fatal'; message: string }
  /**
   * Emptying Shoebox's trash into the OS trash: only main has Electron's shell.trashItem (the
   * Recycle Bin, the macOS Trash), so the engine asks main to move the file there.
   */
  | { kind: 'trashItem'; requestId: number; path: string }
  | { kind: 'closed' };
