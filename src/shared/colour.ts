// Pure colour maths shared by the engine (palettes, histograms, fingerprints) and the renderer
// (swatches, colour search input). sRGB is IEC 61966-2-1 with a D65 white; CIELAB uses the same
// D65 white, so a palette computed in the engine and a colour picked in the UI meet in one space.
import type { Lab } from './domain.ts';

/** D65 reference white (CIE 1931 2 degree observer), Y normalised to 1. */
const XN = 0.95047;
const YN = 1.0;
const ZN = 1.08883;

const EPSILON = 216 / 24389; // (6/29)^3: below this the cube root is replaced by a line
const KAPPA = 24389 / 27; // (29/3)^3

/** sRGB transfer function decoded: channel in 0..1 to linear light in 0..1. */
export function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

/** Linear light in 0..1 to the sRGB-encoded channel in 0..1 (not clamped). */
export function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? v * 12.92 : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}

/**
 * Linear light for each 8-bit sRGB code value. Feature extraction converts thousands of pixels per
 * photo, and the power function dominates; 256 entries make it a table look-up.
 */
export const SRGB8_TO_LINEAR: Float64Array = (() => {
  const table = new Float64Array(256);
  for (let i = 0; i < 256; i++) table[i] = srgbToLinear(i / 255);
  return table;
})();

function labF(t: number): number {
  return t > EPSILON ? Math.cbrt(t) : (KAPPA * t + 16) / 116;
}

function labFInverse(t: number): number {
  const t3 = t * t * t;
  return t3 > EPSILON ? t3 : (116 * t - 16) / KAPPA;
}

/** Linear-light RGB (0..1) to CIELAB D65, written into `out` at `offset` as L, a, b. */
export function linearRgbToLabInto(
  r: number,
  g: number,
  b: number,
  out: { [index: number]: number },
  offset: number,
): void {
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / XN;
  const y = (0.2126729 * r + 0.7151522 * g + 0.072175 * b) / YN;
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / ZN;
  const fx = labF(x);
  const fy = labF(y);
  const fz = labF(z);
  out[offset] = 116 * fy - 16;
  out[offset + 1] = 500 * (fx - fy);
  out[offset + 2] = 200 * (fy - fz);
}

/** 8-bit sRGB channels (0..255, fractional values allowed) to CIELAB D65. */
export function srgbToLab(r: number, g: number, b: number): Lab {
  const out = [0, 0, 0];
  linearRgbToLabInto(srgbToLinear(r / 255), srgbToLinear(g / 255), srgbToLinear(b / 255), out, 0);
  return { l: out[0]!, a: out[1]!, b: out[2]! };
}

/**
 * CIELAB D65 to 8-bit sRGB, rounded and clamped into the gamut. Clamping is per channel, which is
 * what a swatch on screen shows for a colour just outside sRGB.
 */
export function labToSrgb(lab: Lab): [number, number, number] {
  const fy = (lab.l + 16) / 116;
  const fx = fy + lab.a / 500;
  const fz = fy - lab.b / 200;
  const x = XN * labFInverse(fx);
  const y = YN * (lab.l > KAPPA * EPSILON ? fy * fy * fy : lab.l / KAPPA);
  const z = ZN * labFInverse(fz);
  const r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const g = -0.969266 * x + 1.8760108 * y + 0.041556 * z;
  const b = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  return [toByte(linearToSrgb(r)), toByte(linearToSrgb(g)), toByte(linearToSrgb(b))];
}

function toByte(v: number): number {
  if (!(v > 0)) return 0; // also catches NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/** '#rrggbb', lower case. Channels are rounded and clamped to 0..255. */
export function rgbToHex(r: number, g: number, b: number): string {
  const part = (v: number): string =>
    Math.max(0, Math.min(255, Math.round(v)))
      .toString(16)
      .padStart(2, '0');
  return `#${part(r)}${part(g)}${part(b)}`;
}

/** Parses '#rgb' or '#rrggbb' (the '#' optional, any case); throws on anything else. */
export function hexToRgb(hex: string): [number, number, number] {
  const match = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hex.trim());
  if (!match) throw new Error(`not a hex colour: ${JSON.stringify(hex)}`);
  let digits = match[1]!;
  if (digits.length === 3) digits = [...digits].map((d) => d + d).join('');
  const value = Number.parseInt(digits, 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

export function labToHex(lab: Lab): string {
  const [r, g, b] = labToSrgb(lab);
  return rgbToHex(r, g, b);
}

export function hexToLab(hex: string): Lab {
  const [r, g, b] = hexToRgb(hex);
  return srgbToLab(r, g, b);
}

/** CIE76 colour difference: Euclidean distance in CIELAB. Cheap; fine for near colours. */
export function deltaE76(x: Lab, y: Lab): number {
  const dl = x.l - y.l;
  const da = x.a - y.a;
  const db = x.b - y.b;
  return Math.sqrt(dl * dl + da * da + db * db);
}

const DEG = Math.PI / 180;

/**
 * CIEDE2000 colour difference (kL = kC = kH = 1), following Sharma, Wu and Dalal (2005), whose
 * test data the unit tests use. Closer to perceived difference than CIE76 for saturated colours.
 */
export function deltaE2000(x: Lab, y: Lab): number {
  const c1 = Math.hypot(x.a, x.b);
  const c2 = Math.hypot(y.a, y.b);
  const cBar = (c1 + c2) / 2;
  const cBar7 = Math.pow(cBar, 7);
  const g = 0.5 * (1 - Math.sqrt(cBar7 / (cBar7 + Math.pow(25, 7))));
  const a1 = (1 + g) * x.a;
  const a2 = (1 + g) * y.a;
  const c1p = Math.hypot(a1, x.b);
  const c2p = Math.hypot(a2, y.b);
  const h1p = hueAngle(x.b, a1);
  const h2p = hueAngle(y.b, a2);

  const dLp = y.l - x.l;
  const dCp = c2p - c1p;
  let dhp = 0;
  if (c1p * c2p !== 0) {
    dhp = h2p - h1p;
    if (dhp > 180) dhp -= 360;
    else if (dhp < -180) dhp += 360;
  }
  const dHp = 2 * Math.sqrt(c1p * c2p) * Math.sin((dhp / 2) * DEG);

  const lBarP = (x.l + y.l) / 2;
  const cBarP = (c1p + c2p) / 2;
  let hBarP = h1p + h2p;
  if (c1p * c2p !== 0) {
    if (Math.abs(h1p - h2p) <= 180) hBarP = (h1p + h2p) / 2;
    else if (h1p + h2p < 360) hBarP = (h1p + h2p + 360) / 2;
    else hBarP = (h1p + h2p - 360) / 2;
  }
  const t =
    1 -
    0.17 * Math.cos((hBarP - 30) * DEG) +
    0.24 * Math.cos(2 * hBarP * DEG) +
    0.32 * Math.cos((3 * hBarP + 6) * DEG) -
    0.2 * Math.cos((4 * hBarP - 63) * DEG);
  const dTheta = 30 * Math.exp(-Math.pow((hBarP - 275) / 25, 2));
  const cBarP7 = Math.pow(cBarP, 7);
  const rc = 2 * Math.sqrt(cBarP7 / (cBarP7 + Math.pow(25, 7)));
  const lTerm = (lBarP - 50) * (lBarP - 50);
  const sl = 1 + (0.015 * lTerm) / Math.sqrt(20 + lTerm);
  const sc = 1 + 0.045 * cBarP;
  const sh = 1 + 0.015 * cBarP * t;
  const rt = -Math.sin(2 * dTheta * DEG) * rc;
  const tl = dLp / sl;
  const tc = dCp / sc;
  const th = dHp / sh;
  return Math.sqrt(tl * tl + tc * tc + th * th + rt * tc * th);
}

function hueAngle(b: number, a: number): number {
  if (a === 0 && b === 0) return 0;
  const h = Math.atan2(b, a) / DEG;
  return h >= 0 ? h : h + 360;
}
