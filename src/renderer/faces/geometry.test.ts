import { describe, expect, it } from 'vitest';
import { boxOnImage, containedRect, CROP_MARGIN, faceCropStyle } from './geometry.ts';

describe('faceCropStyle', () => {
  it('centres a face in the middle of a photo in a square with its margin', () => {
    // A 100x100 px face in the middle of an 800x600 photo.
    const box = { x: 350 / 800, y: 250 / 600, width: 100 / 800, height: 100 / 600 };
    const crop = faceCropStyle(box, 800, 600);
    const side = 100 * CROP_MARGIN;
    expect(crop.width).toBeCloseTo((800 / side) * 100);
    expect(crop.height).toBeCloseTo((600 / side) * 100);
    // The crop's left edge is at 400 - side/2 image pixels.
    expect(crop.left).toBeCloseTo((-(400 - side / 2) / side) * 100);
    expect(crop.top).toBeCloseTo((-(300 - side / 2) / side) * 100);
  });

  it('keeps the crop inside the photo for a face at its corner', () => {
    const box = { x: 0, y: 0, width: 0.1, height: 0.1 };
    const crop = faceCropStyle(box, 1000, 1000);
    expect(crop.left).toBeCloseTo(0);
    expect(crop.top).toBeCloseTo(0);
    // The far edges of the image still lie beyond the box's far edges.
    expect(crop.left + crop.width).toBeGreaterThanOrEqual(100);
    expect(crop.top + crop.height).toBeGreaterThanOrEqual(100);
  });

  it('never crops wider than the photo is short, so a close-up fills the square', () => {
    // A face filling most of a portrait photo.
    const box = { x: 0.05, y: 0.2, width: 0.9, height: 0.5 };
    const crop = faceCropStyle(box, 600, 900);
    expect(crop.width).toBeCloseTo(100);
    expect(crop.left).toBeCloseTo(0);
    // Vertically the square sits on the face's centre (0.45 of 900 = 405 px) within the photo.
    expect(crop.top).toBeCloseTo((-(405 - 300) / 600) * 100);
    expect(crop.top + crop.height).toBeGreaterThanOrEqual(100);
  });

  it('answers something finite for a degenerate box', () => {
    const crop = faceCropStyle({ x: 0.5, y: 0.5, width: 0, height: 0 }, 400, 300);
    for (const value of Object.values(crop)) expect(Number.isFinite(value)).toBe(true);
  });
});

describe('containedRect', () => {
  it('letterboxes a wide photo in a tall element', () => {
    expect(containedRect(400, 800, 1200, 600)).toEqual({
      left: 0,
      top: 300,
      width: 400,
      height: 200,
    });
  });

  it('pillarboxes a tall photo in a wide element', () => {
    expect(containedRect(1000, 500, 600, 1200)).toEqual({
      left: 375,
      top: 0,
      width: 250,
      height: 500,
    });
  });

  it('is empty before the image or the element has a size', () => {
    expect(containedRect(0, 500, 600, 1200).width).toBe(0);
    expect(containedRect(500, 500, 0, 0).height).toBe(0);
  });
});

describe('boxOnImage', () => {
  it('places a fractional box over the drawn image', () => {
    const drawn = { left: 375, top: 0, width: 250, height: 500 };
    expect(boxOnImage({ x: 0.2, y: 0.5, width: 0.4, height: 0.1 }, drawn)).toEqual({
      left: 425,
      top: 250,
      width: 100,
      height: 50,
    });
  });
});
