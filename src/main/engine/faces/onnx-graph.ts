// What both face detectors need to run face-api's networks on ONNX Runtime (screening.ts: the Tiny
// Face Detector; ssd.ts: SSD MobileNet v1): face-api's TensorFlow.js weight files read and
// dequantized, filters moved to ONNX's layout, TensorFlow's "same" padding, the input prepared
// inside the graph exactly as face-api prepares it, and where a weight file's tensors are.
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { rgbOverWhite, type WorkingImage } from '../features/pixels.ts';
import {
  FLOAT,
  INT64,
  UINT8,
  type DeferredFloats,
  type Initializer,
  type Node,
  type ValueInfo,
} from '../onnx-writer.ts';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

/**
 * One float32 tensor of a TensorFlow.js weight file, as stored: its bytes in the file, and the
 * affine quantization they use if any. It is dequantized only where it is used: small tensors
 * as arrays (`values`), filters straight into the ONNX model's bytes (`toOnnxFilter`; the tensor
 * itself is a DeferredFloats in stored order), so SSD's 22 MB of weights are not made twice.
 */
export class StoredTensor implements DeferredFloats {
  private readonly floats: DataView;
  /** For a quantized tensor, the value each of the 256 stored bytes stands for. */
  private readonly levels: Float32Array | null;

  constructor(
    /** How many values it holds. */
    readonly length: number,
    private readonly bytes: Uint8Array,
    /** TensorFlow.js's uint8 quantization: value = min + scale * stored byte. */
    quantization: { scale: number; min: number } | null,
  ) {
    this.floats = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.levels = quantization
      ? Float32Array.from(
          { length: 256 },
          (_, byte) => quantization.min + quantization.scale * byte,
        )
      : null;
  }

  /** The value at `index`, in stored order. */
  at(index: number): number {
    return this.levels ? this.levels[this.bytes[index]!]! : this.floats.getFloat32(index * 4, true);
  }

  write(into: Float32Array): void {
    for (let i = 0; i < this.length; i += 1) into[i] = this.at(i);
  }

  values(): Float32Array {
    const out = new Float32Array(this.length);
    this.write(out);
    return out;
  }
}

/** Where one tensor lies in its group's byte stream (the group's shards, one after another). */
interface TensorPlace {
  name: string;
  dtype: string;
  /** How many values it holds. */
  count: number;
  quantization: { scale: number; min: number } | null;
  start: number;
  size: number;
}

/** A TensorFlow.js weight file's manifest: each group's shard files and its tensors' places. */
async function readManifest(
  dir: string,
  name: string,
): Promise<{ paths: string[]; tensors: TensorPlace[] }[]> {
  const manifest = JSON.parse(
    await readFile(join(dir, `${name}-weights_manifest.json`), 'utf8'),
  ) as { paths: string[]; weights: ManifestEntry[] }[];
  return manifest.map((group) => {
    let start = 0;
    const tensors = group.weights.map((entry) => {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const q = entry.quantization;
      let size: number;
      if (q?.dtype === 'uint8') size = count;
      else if (!q && (entry.dtype === 'float32' || entry.dtype === 'int32')) size = count * 4;
      else throw new Error(`The face model weights use an unknown storage (${entry.name}).`);
      const place = {
        name: entry.name,
        dtype: entry.dtype,
        count,
        quantization: q ?? null,
        start,
        size,
      };
      start += size;
      return place;
    });
    return { paths: group.paths, tensors };
  });
}

/**
 * A TensorFlow.js weight file (manifest + .bin shards) by tensor name. Only the float32
 * tensors: the integer ones in face-api's files are shapes TensorFlow's export left behind,
 * which the graphs here do not need.
 */
export async function readWeights(dir: string, name: string): Promise<Map<string, StoredTensor>> {
  const weights = new Map<string, StoredTensor>();
  for (const group of await readManifest(dir, name)) {
    const shards = await Promise.all(group.paths.map((p) => readFile(join(dir, p))));
    const bytes = shards.length === 1 ? shards[0]! : Buffer.concat(shards);
    for (const { name, dtype, count, quantization, start, size } of group.tensors) {
      if (dtype !== 'float32') continue;
      weights.set(name, new StoredTensor(count, bytes.subarray(start, start + size), quantization));
    }
  }
  return weights;
}

/**
 * One float32 tensor of a weight file, reading only its own bytes (SSD's anchors are 80 kB of
 * a 5.6 MB file): for a process that opens a cached graph and needs nothing else from the file.
 */
export async function readWeight(dir: string, name: string, tensor: string): Promise<StoredTensor> {
  for (const group of await readManifest(dir, name)) {
    const place = group.tensors.find((t) => t.name === tensor && t.dtype === 'float32');
    if (!place) continue;
    const bytes = Buffer.alloc(place.size);
    const end = place.start + place.size;
    // The tensor's range of the group's stream, gathered from the shards it overlaps.
    let shardStart = 0;
    let gathered = 0;
    for (const path of group.paths) {
      if (shardStart >= end) break;
      const handle = await open(join(dir, path), 'r');
      try {
        const shardSize = (await handle.stat()).size;
        const from = Math.max(place.start, shardStart);
        const to = Math.min(end, shardStart + shardSize);
        if (to > from) {
          const position = from - shardStart;
          gathered += (await handle.read(bytes, from - place.start, to - from, position)).bytesRead;
        }
        shardStart += shardSize;
      } finally {
        await handle.close();
      }
    }
    if (gathered < place.size) throw new Error(`The face model weights end before ${tensor} does.`);
    return new StoredTensor(place.count, bytes, place.quantization);
  }
  throw new Error(`The face model weights lack ${tensor}.`);
}

/** A named float32 tensor of `weights`, or a clear error naming what is missing. */
export function weightOf(weights: Map<string, StoredTensor>, name: string): StoredTensor {
  const tensor = weights.get(name);
  if (!tensor) throw new Error(`The face model weights lack ${name}.`);
  return tensor;
}

/**
 * TensorFlow's filter layout [height, width, in, out] as ONNX's [out, in, height, width],
 * written straight into the model when it is encoded.
 */
export function toOnnxFilter(tf: StoredTensor, shape: number[]): DeferredFloats {
  const [kh, kw, cin, cout] = shape as [number, number, number, number];
  return {
    length: tf.length,
    write(out: Float32Array): void {
      let next = 0;
      for (let o = 0; o < cout; o += 1)
        for (let i = 0; i < cin; i += 1)
          for (let y = 0; y < kh; y += 1)
            for (let x = 0; x < kw; x += 1)
              out[next++] = tf.at(((y * kw + x) * cin + i) * cout + o);
    },
  };
}

/**
 * TensorFlow's "same" padding of a window along one side: the output is ceil(size / stride),
 * and of the padding that takes, the odd pixel goes after.
 */
export function samePadding(
  size: number,
  kernel: number,
  stride: number,
): { out: number; before: number; after: number } {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

/**
 * The nodes that turn `photo` (uint8 [1, height, width, 3]) into `output`, float [1, 3, side,
 * side], as face-api's NetInput.toBatchTensor(side, false) does: padded to a square with black
 * at the right or bottom (`pads`, from `squarePads`), then resized bilinearly the way TensorFlow
 * does without corner alignment or half-pixel centres ("asymmetric").
 */
export function squareInputNodes(
  side: number,
  output: string,
): { nodes: Node[]; initializers: Initializer[] } {
  return {
    nodes: [
      { op: 'Cast', inputs: ['photo'], outputs: ['photo.float'], attributes: { to: FLOAT } },
      { op: 'Pad', inputs: ['photo.float', 'pads'], outputs: ['square'] },
      {
        op: 'Transpose',
        inputs: ['square'],
        outputs: ['planes'],
        attributes: { perm: [0, 3, 1, 2] },
      },
      {
        op: 'Resize',
        inputs: ['planes', '', '', 'input.size'],
        outputs: [output],
        stringAttributes: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' },
      },
    ],
    initializers: [
      {
        name: 'input.size',
        dims: [4],
        data: BigInt64Array.from([1n, 3n, BigInt(side), BigInt(side)]),
      },
    ],
  };
}

/** The graphs' two inputs, as ONNX declares them. */
export const PHOTO_INPUTS: ValueInfo[] = [
  { name: 'photo', elemType: UINT8, shape: [1, 'height', 'width', 3] },
  { name: 'pads', elemType: INT64, shape: [8] },
];

/** The padding (ONNX Pad's begins, then ends, NHWC) that squares a photo at the right or bottom. */
function squarePads(width: number, height: number): BigInt64Array {
  const side = Math.max(width, height);
  return BigInt64Array.from([0, 0, 0, 0, 0, side - height, side - width, 0].map(BigInt));
}

/** The feeds for a graph built on `squareInputNodes`: the photo's pixels as they are, and its pads. */
export function photoFeeds(image: WorkingImage): Record<string, ort.Tensor> {
  const { width, height } = image;
  return {
    photo: new ort.Tensor('uint8', rgbOverWhite(image), [1, height, width, 3]),
    pads: new ort.Tensor('int64', squarePads(width, height), [8]),
  };
}
