// The `?` overlay: every keyboard shortcut, in one place, reachable from any screen.
import { useEffect, useRef } from 'react';
import { typingInField } from '../keys.ts';

const groups: { title: string; keys: [string, string][] }[] = [
  {
    title: 'Photo grid',
    keys: [
      ['← → ↑ ↓', 'Move between photos'],
      ['Enter or Space', 'Open the photo'],
      ['Page Up / Page Down', 'Move a screenful'],
      ['Home / End', 'First / last photo'],
    ],
  },
  {
    title: 'Viewer',
    keys: [
      ['← →', 'Previous / next photo'],
      ['F', 'Show or hide the faces'],
      ['Esc', 'Back to the grid'],
    ],
  },
  {
    title: 'Duplicates review',
    keys: [
      ['↑ ↓', 'Previous / next group'],
      ['← →', 'Move between the photos of a group'],
      ['Space', 'Keep or remove the photo in focus'],
      ['K', 'Keep all: the group is not shown again'],
      ['N', 'Not duplicates (remembered)'],
      ['Delete or R', 'Remove the others to Shoebox’s trash'],
      ['A', 'Apply every suggestion (asks first)'],
      ['U', 'Undo the last removal'],
      ['F', 'A/B flicker on or off'],
      ['+ − 0', 'Zoom in / out / fit (all photos together)'],
      ['[ ]', 'Lower / raise the similarity threshold'],
    ],
  },
  {
    title: 'Anywhere',
    keys: [
      ['Tab', 'Move between controls'],
      ['?', 'Show or hide these shortcuts'],
    ],
  },
];

export function Shortcuts({
  open,
  setOpen,
}: {
  open: boolean;
  setOpen: (update: boolean | ((open: boolean) => boolean)) => void;
}) {
  const closeButton = useRef<HTMLButtonElement>(null);
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === '?' && !typingInField(event.target)) {
        event.preventDefault();
        setOpen((value) => !value);
      }
    };
    window.addEventListener('keydown', onKey, { capture: true });
    return () => window.removeEventListener('keydown', onKey, { capture: true });
  }, [open, setOpen]);

  // Modal, so it stacks above the viewer (also a modal dialog) when opened from there.
  useEffect(() => {
    const element = dialog.current;
    if (!open || !element) return;
    if (!element.open) element.showModal();
    closeButton.current?.focus();
    return () => element.close();
  }, [open]);

  if (!open) return null;
  return (
    <dialog
      ref={dialog}
      className="shortcuts-dialog"
      aria-label="Keyboard shortcuts"
      onCancel={(event) => {
        event.preventDefault();
        setOpen(false);
      }}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside the card) closes it.
        if (event.target === event.currentTarget) setOpen(false);
      }}
    >
      <div className="shortcuts">
        <div className="shortcuts-head">
          <h2>Keyboard shortcuts</h2>
          <button
            ref={closeButton}
            type="button"
            className="icon-button"
            aria-label="Close"
            onClick={() => setOpen(false)}
          >
            ✕
          </button>
        </div>
        {groups.map((group) => (
          <section key={group.title}>
            <h3>{group.title}</h3>
            <dl>
              {group.keys.map(([key, what]) => (
                <div key={key} className="shortcut">
                  <dt>
                    <kbd>{key}</kbd>
                  </dt>
                  <dd>{what}</dd>
                </div>
              ))}
            </dl>
          </section>
        ))}
      </div>
    </dialog>
  );
}
