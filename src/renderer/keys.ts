// Helpers for screen-wide keyboard shortcuts: they must not fire while the person types in a
// field, nor behind a modal (the viewer, a confirmation, the shortcuts overlay).

export function typingInField(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName)) &&
    // A range slider or a checkbox takes no typing: letters pressed on it are still shortcuts.
    !(target instanceof HTMLInputElement && ['range', 'checkbox', 'radio'].includes(target.type))
  );
}

export function modalOpen(): boolean {
  return document.querySelector('dialog[open]') !== null;
}

/** True when a screen's shortcut may act on this key event. */
export function shortcutAllowed(event: KeyboardEvent): boolean {
  return !event.defaultPrevented && !modalOpen() && !typingInField(event.target);
}
