// Where a face goes on screen. Face boxes come from the engine as fractions (0..1) of the photo
// as displayed, so the same box serves a square face crop from the thumbnail and an outline over
// the viewer's full image; only the image's aspect ratio and where it was drawn are needed.
import type { FaceBox } from '../../shared/domain.ts';

/** A rectangle in CSS pixels or in percentages, depending on who asks. */
export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** How much room to leave around a face in its crop: hair, chin and a little background. */
export const CROP_MARGIN = 1.6;

/**
 * The square crop that shows a face, as CSS for an <img> inside a square box with
 * overflow hidden: its size and offset in percent of the box. The square is centred on the face
 * and kept inside the photo where the photo allows, so the crop shows no empty border.
 */
export function faceCropStyle(box: FaceBox, imageWidth: number, imageHeight: number): Rect {
  const faceWidth = box.width * imageWidth;
  const faceHeight = box.height * imageHeight;
  // The side in image pixels: the face with its margin, but never more than the photo's short side.
  const side = Math.max(
    1e-9,
    Math.min(Math.max(faceWidth, faceHeight) * CROP_MARGIN, imageWidth, imageHeight),
  );
  const centreX = (box.x + box.width / 2) * imageWidth;
  const centreY = (box.y + box.height / 2) * imageHeight;
  const left = clamp(centreX - side / 2, 0, imageWidth - side);
  const top = clamp(centreY - side / 2, 0, imageHeight - side);
  return {
    left: (-left / side) * 100,
    top: (-top / side) * 100,
    width: (imageWidth / side) * 100,
    height: (imageHeight / side) * 100,
  };
}

/**
 * Where an image drawn with `object-fit: contain` really is inside its element: the largest
 * rectangle of the image's aspect ratio that fits, centred.
 */
export function containedRect(
  elementWidth: number,
  elementHeight: number,
  imageWidth: number,
  imageHeight: number,
): Rect {
  if (elementWidth <= 0 || elementHeight <= 0 || imageWidth <= 0 || imageHeight <= 0) {
    return { left: 0, top: 0, width: 0, height: 0 };
  }
  const scale = Math.min(elementWidth / imageWidth, elementHeight / imageHeight);
  const width = imageWidth * scale;
  const height = imageHeight * scale;
  return { left: (elementWidth - width) / 2, top: (elementHeight - height) / 2, width, height };
}

/** A face's box in pixels over an image drawn at `drawn`. */
export function boxOnImage(box: FaceBox, drawn: Rect): Rect {
  return {
    left: drawn.left + box.x * drawn.width,
    top: drawn.top + box.y * drawn.height,
    width: box.width * drawn.width,
    height: box.height * drawn.height,
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
