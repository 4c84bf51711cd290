// The CLI's two audiences: people (plain text on stdout, progress on stderr) and programs
// (`--json`: exactly one JSON document on stdout, nothing else there).
import type { IndexProgress } from '../../shared/domain.ts';

export interface Output {
  json: boolean;
  /** The command's result: JSON when --json, else the human text. */
  result(data: unknown, human: () => string): void;
  /** Progress and logs: always stderr, so stdout stays clean. */
  log(message: string): void;
  progress(progress: IndexProgress): void;
  endProgress(): void;
}

export function createOutput(
  json: boolean,
  stdout = process.stdout,
  stderr = process.stderr,
): Output {
  let liveLine = false;
  let lastPlainReport = 0;
  return {
    json,
    result(data, human) {
      stdout.write(json ? JSON.stringify(data) + '\n' : human() + '\n');
    },
    log(message) {
      if (liveLine) {
        stderr.write('\n');
        liveLine = false;
      }
      stderr.write(message + '\n');
    },
    progress(progress) {
      const text = formatProgress(progress);
      if (stderr.isTTY) {
        stderr.write(`\r\x1b[2K${text}`);
        liveLine = true;
      } else if (Date.now() - lastPlainReport > 5000) {
        // Logs and CI: a line every few seconds, not a flood.
        lastPlainReport = Date.now();
        stderr.write(text + '\n');
      }
    },
    endProgress() {
      if (liveLine) stderr.write('\n');
      liveLine = false;
    },
  };
}

export function formatProgress(progress: IndexProgress): string {
  const rate = progress.rate > 0 ? `, ${progress.rate.toFixed(1)} photos/s` : '';
  const eta =
    progress.etaSeconds !== null && progress.running
      ? `, about ${formatDuration(progress.etaSeconds)} left`
      : '';
  const failed = progress.failed > 0 ? `, ${progress.failed} failed` : '';
  return `Indexing ${progress.done}/${progress.total}${rate}${eta}${failed}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
