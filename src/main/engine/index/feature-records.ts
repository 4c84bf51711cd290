// How the features of one photo are stored: one catalog row per kind, each with the version of
// the algorithm that produced it. Bulk vectors are stored as raw little-endian float32 bytes.
import type { PaletteColour } from '../../../shared/domain.ts';
import { FACES_VERSION, FEATURE_VERSIONS } from '../features/versions.ts';
import type { FeatureRecord } from '../catalog/catalog.ts';
import type { ExtractedFeatures } from './protocol.ts';

/** Metadata and thumbnail come from the same decode; their version moves with the decoder's. */
export const STORED_FEATURE_VERSIONS: Record<string, string> = {
  meta: FEATURE_VERSIONS.thumbnail,
  palette: FEATURE_VERSIONS.palette,
  histogram: FEATURE_VERSIONS.histogram,
  phash: FEATURE_VERSIONS.phash,
  fingerprint: FEATURE_VERSIONS.fingerprint,
  miniature: FEATURE_VERSIONS.miniature,
  /** The faces themselves are rows of the faces table; this record says they were looked for. */
  faces: FACES_VERSION,
};

const text = new TextEncoder();
const untext = new TextDecoder();

const floatBytes = (values: Float32Array): Uint8Array =>
  new Uint8Array(values.buffer, values.byteOffset, values.byteLength);

export function toFeatureRecords(features: ExtractedFeatures): FeatureRecord[] {
  const v = STORED_FEATURE_VERSIONS;
  return [
    { kind: 'meta', version: v.meta!, data: text.encode(JSON.stringify(features.meta)) },
    { kind: 'palette', version: v.palette!, data: text.encode(JSON.stringify(features.palette)) },
    { kind: 'histogram', version: v.histogram!, data: floatBytes(features.histogram) },
    { kind: 'phash', version: v.phash!, data: text.encode(features.phash) },
    { kind: 'fingerprint', version: v.fingerprint!, data: floatBytes(features.fingerprint) },
    { kind: 'miniature', version: v.miniature!, data: features.miniature },
    ...(features.faces
      ? [
          {
            kind: 'faces',
            version: v.faces!,
            data: text.encode(JSON.stringify({ count: features.faces.length })),
          },
        ]
      : []),
  ];
}

/** The stored form of one embedding vector, under its model's feature kind. */
export function embeddingRecord(
  kind: string,
  version: string,
  vector: Float32Array,
): FeatureRecord {
  return { kind, version, data: floatBytes(vector) };
}

/**
 * True when every stored feature of this content is at the current algorithm version (faces
 * only when they are looked for).
 */
export function featuresAreCurrent(stored: ReadonlyMap<string, string>, faces = true): boolean {
  return Object.entries(STORED_FEATURE_VERSIONS).every(
    ([kind, version]) => (kind === 'faces' && !faces) || stored.get(kind) === version,
  );
}

export function decodeMeta(data: Uint8Array): ExtractedFeatures['meta'] {
  return JSON.parse(untext.decode(data)) as ExtractedFeatures['meta'];
}

export function decodePalette(data: Uint8Array): PaletteColour[] {
  return JSON.parse(untext.decode(data)) as PaletteColour[];
}
