// What both face detectors need to run face-api's networks on ONNX Runtime (screening.ts: the Tiny
// Face Detector; ssd.ts: SSD MobileNet v1): face-api's TensorFlow.js weight files read and
// dequantized, filters moved to ONNX's layout, TensorFlow's "same" padding, the input prepared
// inside the graph exactly as face-api prepares it, and one way to open a session.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { rgbOverWhite, type WorkingImage } from '../features/pixels.ts';
import {
  FLOAT,
  INT64,
  UINT8,
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
 * A TensorFlow.js weight file (manifest + .bin shards), dequantized, by tensor name. Only the
 * float32 tensors: the integer ones in face-api's files are shapes TensorFlow's export left
 * behind, which the graphs here do not need.
 */
export async function readWeights(dir: string, name: string): Promise<Map<string, Float32Array>> {
  const manifest = JSON.parse(
    await readFile(join(dir, `${name}-weights_manifest.json`), 'utf8'),
  ) as { paths: string[]; weights: ManifestEntry[] }[];
  const weights = new Map<string, Float32Array>();
  for (const group of manifest) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(dir, p)))));
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const q = entry.quantization;
      if (q?.dtype === 'uint8') {
        // TensorFlow.js's affine quantization: value = min + scale * stored byte.
        if (entry.dtype === 'float32') {
          const values = new Float32Array(count);
          for (let i = 0; i < count; i += 1) values[i] = q.min + q.scale * bytes[offset + i]!;
          weights.set(entry.name, values);
        }
        offset += count;
      } else if (!q && (entry.dtype === 'float32' || entry.dtype === 'int32')) {
        if (entry.dtype === 'float32') {
          const values = new Float32Array(count);
          for (let i = 0; i < count; i += 1) values[i] = bytes.readFloatLE(offset + i * 4);
          weights.set(entry.name, values);
        }
        offset += count * 4;
      } else {
        throw new Error(`The face model weights use an unknown storage (${entry.name}).`);
      }
    }
  }
  return weights;
}

/** A named float32 tensor of `weights`, or a clear error naming what is missing. */
export function weightOf(weights: Map<string, Float32Array>, name: string): Float32Array {
  const values = weights.get(name);
  if (!values) throw new Error(`The face model weights lack ${name}.`);
  return values;
}

/** TensorFlow's filter layout [height, width, in, out] as ONNX's [out, in, height, width]. */
export function toOnnxFilter(tf: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(tf.length);
  for (let y = 0; y < kh!; y += 1)
    for (let x = 0; x < kw!; x += 1)
      for (let i = 0; i < cin!; i += 1)
        for (let o = 0; o < cout!; o += 1)
          out[((o * cin! + i) * kh! + y) * kw! + x] = tf[((y * kw! + x) * cin! + i) * cout! + o]!;
  return out;
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

/** Opens a graph built here in ONNX Runtime. */
export async function openSession(graph: Uint8Array): Promise<ort.InferenceSession> {
  return await ort.InferenceSession.create(graph, {
    // One worker per core already: a second thread inside one would only contend.
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}
