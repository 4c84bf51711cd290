// A toast for what just happened, with Undo when it can be undone. Removals always get one:
// the person should never have to go looking for the trash to take back a click.
import { useEffect, useState } from 'react';

export interface ToastMessage {
  id: number;
  text: string;
  /** Lines worth reading (e.g. why some photos were skipped). */
  details?: string[];
  undo?: () => Promise<void>;
}

let toastIds = 1;
export function nextToastId(): number {
  return toastIds++;
}

const SHOW_MS = 12_000;

/** `onDone(id)` closes that toast only: an undo may already have replaced it with its outcome. */
export function Toast({ toast, onDone }: { toast: ToastMessage | null; onDone(id: number): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setBusy(false);
    setError(null);
    if (!toast) return;
    // Skipped removals need reading time; a plain confirmation goes by itself.
    const id = toast.id;
    const timer = setTimeout(() => onDone(id), toast.details?.length ? SHOW_MS * 2 : SHOW_MS);
    return () => clearTimeout(timer);
  }, [toast, onDone]);

  if (!toast) return null;
  const undo = toast.undo;
  return (
    <div className="toast" role="status" aria-live="polite" data-testid="toast">
      <div className="toast-body">
        <span>{toast.text}</span>
        {toast.details && toast.details.length > 0 && (
          <ul className="toast-details">
            {toast.details.map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
        )}
        {error && <span className="error-text">{error}</span>}
      </div>
      {undo && (
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={() => {
            setBusy(true);
            undo().then(
              () => onDone(toast.id),
              (e: Error) => {
                setBusy(false);
                setError(e.message);
              },
            );
          }}
        >
          Undo
        </button>
      )}
      <button
        type="button"
        className="icon-button"
        aria-label="Dismiss"
        onClick={() => onDone(toast.id)}
      >
        ✕
      </button>
    </div>
  );
}
