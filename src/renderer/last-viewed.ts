// The last photo opened in the viewer, remembered in the renderer's storage per library (keyed by
// the library folder), so the Similar screen can open on that photo's neighbours. Storage that is
// full or switched off only means there is nothing to remember: the screen then picks another.
const keyOf = (libraryDir: string) => `shoebox.lastViewed:${libraryDir}`;

export function rememberLastViewed(libraryDir: string, photoId: number): void {
  try {
    localStorage.setItem(keyOf(libraryDir), String(photoId));
  } catch {
    // Nothing to remember with; the Similar screen falls back to another photo.
  }
}

export function lastViewed(libraryDir: string): number | null {
  try {
    const value = Number(localStorage.getItem(keyOf(libraryDir)));
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}
