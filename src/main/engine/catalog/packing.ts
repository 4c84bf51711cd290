// A small binary container for analysis results: a JSON header followed by typed arrays, each
// aligned to 8 bytes so it can be viewed in place. Bulk numbers never go through JSON.

type Packable = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;
const KINDS = {
  f32: Float32Array,
  f64: Float64Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
} as const;
type KindName = keyof typeof KINDS;

interface Header {
  meta: unknown;
  arrays: { name: string; kind: KindName; offset: number; length: number }[];
}

function kindOf(array: Packable): KindName {
  if (array instanceof Float32Array) return 'f32';
  if (array instanceof Float64Array) return 'f64';
  if (array instanceof Int32Array) return 'i32';
  if (array instanceof Uint32Array) return 'u32';
  return 'u8';
}

const align = (n: number): number => Math.ceil(n / 8) * 8;

export function pack(meta: unknown, arrays: Record<string, Packable>): Buffer {
  const header: Header = { meta, arrays: [] };
  let offset = 0;
  for (const [name, array] of Object.entries(arrays)) {
    header.arrays.push({ name, kind: kindOf(array), offset, length: array.length });
    offset = align(offset + array.byteLength);
  }
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const start = align(4 + headerBytes.length);
  const out = Buffer.alloc(start + offset);
  out.writeUInt32LE(headerBytes.length, 0);
  headerBytes.copy(out, 4);
  for (const entry of header.arrays) {
    const array = arrays[entry.name]!;
    out.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), start + entry.offset);
  }
  return out;
}

export function unpack<M>(data: Uint8Array): { meta: M; arrays: Record<string, Packable> } {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const headerLength = view.readUInt32LE(0);
  const header = JSON.parse(view.subarray(4, 4 + headerLength).toString('utf8')) as Header;
  const start = align(4 + headerLength);
  // One aligned copy of the payload; the arrays are views into it.
  const payload = new Uint8Array(view.byteLength - start);
  payload.set(view.subarray(start));
  const arrays: Record<string, Packable> = {};
  for (const entry of header.arrays) {
    const Kind = KINDS[entry.kind];
    arrays[entry.name] = new Kind(payload.buffer, entry.offset, entry.length);
  }
  return { meta: header.meta as M, arrays };
}
