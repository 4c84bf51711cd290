// The screening look every photo gets: does anything in it look like a face? It is face-api's
// Tiny Face Detector, the same weights from the same package, but run by ONNX Runtime's native
// CPU kernels instead of TensorFlow.js on WebAssembly. The network is small (five separable
// convolutions), so the graph is rebuilt here from the package's weight files, in memory, when a
// worker first needs it: nothing is generated at build time and nothing is downloaded.
//
// Why not TensorFlow.js, which runs the other face models (docs/decisions.md, "Faces"): most
// photos show no face, so this look is all they pay for faces. On TensorFlow.js it cost 15 ms of
// processor time a photo plus about a second to start each worker; natively it costs a few
// milliseconds and a few tens of milliseconds to start, and TensorFlow.js is loaded only by a
// worker that meets a photo worth the accurate look.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import type { WorkingImage } from '../features/pixels.ts';
import {
  encodeOnnxModel,
  FLOAT,
  INT64,
  UINT8,
  type Initializer,
  type Node,
} from '../onnx-writer.ts';
import { modelDir } from './model-files.ts';

/**
 * Input side of the screening detector (a multiple of 32). Its cost grows with the square of it:
 * 256 px costs about two thirds of 320 and, at the low bar below, still saw a face in each of
 * the package's sample photos (at 224 it missed two of six).
 */
export const SCREEN_INPUT = 256;
/** The screening detector's bar: low, since it only decides whether the real look is needed. */
export const SCREEN_MIN_SCORE = 0.2;

/** The detector's own constants (face-api's TinyFaceDetector): per-channel means, five anchors. */
const MEAN_RGB = [117.001, 114.697, 97.404] as const;
const ANCHORS = 5;
/** Per anchor and cell: box x, y, width, height, then the face score's logit. */
const BOX_ENCODING = 5;
/** face-api's "leaky" activation: max(x, 0.1 x). */
const LEAKY_ALPHA = 0.1;
const WEIGHTS_FILE = 'tiny_face_detector_model';

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}

/** A TensorFlow.js weight file (manifest + one .bin), dequantized, by tensor name. */
async function readWeights(dir: string, name: string): Promise<Map<string, Float32Array>> {
  const manifest = JSON.parse(
    await readFile(join(dir, `${name}-weights_manifest.json`), 'utf8'),
  ) as { paths: string[]; weights: ManifestEntry[] }[];
  const weights = new Map<string, Float32Array>();
  for (const group of manifest) {
    const bytes = Buffer.concat(await Promise.all(group.paths.map((p) => readFile(join(dir, p)))));
    let offset = 0;
    for (const entry of group.weights) {
      const count = entry.shape.reduce((a, b) => a * b, 1);
      const values = new Float32Array(count);
      const q = entry.quantization;
      if (q?.dtype === 'uint8') {
        // TensorFlow.js's affine quantization: value = min + scale * stored byte.
        for (let i = 0; i < count; i += 1) values[i] = q.min + q.scale * bytes[offset + i]!;
        offset += count;
      } else if (!q && entry.dtype === 'float32') {
        values.set(
          new Float32Array(
            bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4),
          ),
        );
        offset += count * 4;
      } else {
        throw new Error(`The face screening weights use an unknown storage (${entry.name}).`);
      }
      weights.set(entry.name, values);
    }
  }
  return weights;
}

/** TensorFlow's filter layout [height, width, in, out] as ONNX's [out, in, height, width]. */
function toOnnxFilter(tf: Float32Array, [kh, kw, cin, cout]: number[]): Float32Array {
  const out = new Float32Array(tf.length);
  for (let y = 0; y < kh!; y += 1)
    for (let x = 0; x < kw!; x += 1)
      for (let i = 0; i < cin!; i += 1)
        for (let o = 0; o < cout!; o += 1)
          out[((o * cin! + i) * kh! + y) * kw! + x] = tf[((y * kw! + x) * cin! + i) * cout! + o]!;
  return out;
}

/** TensorFlow's "same" padding of a pooling window: all of the odd pixel goes after. */
function samePadding(size: number, kernel: number, stride: number): { out: number; after: number } {
  const out = Math.ceil(size / stride);
  return { out, after: Math.max((out - 1) * stride + kernel - size, 0) };
}

/**
 * The Tiny Face Detector as an ONNX graph, from the working copy's pixels as they are (`photo`,
 * uint8 [1, height, width, 3]) and the padding that makes it square (`pads`, see `squarePads`)
 * to `grid` [1, 25, 8, 8]: five anchors of five numbers per cell. Step for step what face-api
 * does: pad to a square with black at the right or bottom, resize bilinearly to 256 the way
 * TensorFlow does without corner alignment or half-pixel centres ("asymmetric"), subtract the
 * mean colour, divide by 255, then TinyYolov2Base.runMobilenet's layers with these weights.
 */
export function screeningGraph(weights: Map<string, Float32Array>): Uint8Array {
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  const weight = (name: string): Float32Array => {
    const values = weights.get(name);
    if (!values) throw new Error(`The face screening weights lack ${name}.`);
    return values;
  };
  const constant = (name: string, dims: number[], data: Float32Array): string => {
    initializers.push({ name, dims, data });
    return name;
  };
  const leaky = (input: string, output: string): void => {
    nodes.push({
      op: 'LeakyRelu',
      inputs: [input],
      outputs: [output],
      floatAttributes: { alpha: LEAKY_ALPHA },
    });
  };
  let size = SCREEN_INPUT;
  const maxPool = (input: string, output: string, stride: number): void => {
    const { out, after } = samePadding(size, 2, stride);
    nodes.push({
      op: 'MaxPool',
      inputs: [input],
      outputs: [output],
      attributes: { kernel_shape: [2, 2], strides: [stride, stride], pads: [0, 0, after, after] },
    });
    size = out;
  };

  // The input as face-api prepares it, in channels-first order.
  nodes.push(
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
      outputs: ['resized'],
      stringAttributes: { mode: 'linear', coordinate_transformation_mode: 'asymmetric' },
    },
    { op: 'Sub', inputs: ['resized', 'mean'], outputs: ['centred'] },
    { op: 'Div', inputs: ['centred', 'range'], outputs: ['pixels'] },
  );
  initializers.push(
    {
      name: 'input.size',
      dims: [4],
      data: BigInt64Array.from([1n, 3n, BigInt(SCREEN_INPUT), BigInt(SCREEN_INPUT)]),
    },
    { name: 'mean', dims: [1, 3, 1, 1], data: Float32Array.from(MEAN_RGB) },
    { name: 'range', dims: [], data: Float32Array.of(255) },
  );

  // conv0: a plain 3x3 convolution, no padding ("valid"), then leaky.
  const conv0 = weight('conv0/filters');
  nodes.push({
    op: 'Conv',
    inputs: [
      'pixels',
      constant('conv0.w', [16, 3, 3, 3], toOnnxFilter(conv0, [3, 3, 3, 16])),
      constant('conv0.b', [16], weight('conv0/bias')),
    ],
    outputs: ['conv0.out'],
    attributes: { kernel_shape: [3, 3] },
  });
  leaky('conv0.out', 'conv0.act');
  size -= 2;
  maxPool('conv0.act', 'pool0', 2);

  // conv1..conv5: zero-padded 3x3 depthwise, 1x1 pointwise with bias, leaky; each but the last
  // followed by a 2x2 pool of stride 2, the last by one of stride 1.
  let channels = 16;
  let current = 'pool0';
  for (let layer = 1; layer <= 5; layer += 1) {
    const pointwise = weight(`conv${layer}/pointwise_filter`);
    const out = pointwise.length / channels;
    nodes.push({
      op: 'Conv',
      inputs: [
        current,
        constant(
          `conv${layer}.dw`,
          [channels, 1, 3, 3],
          toOnnxFilter(weight(`conv${layer}/depthwise_filter`), [3, 3, channels, 1]),
        ),
      ],
      outputs: [`conv${layer}.depthwise`],
      attributes: { kernel_shape: [3, 3], group: channels, pads: [1, 1, 1, 1] },
    });
    nodes.push({
      op: 'Conv',
      inputs: [
        `conv${layer}.depthwise`,
        constant(
          `conv${layer}.pw`,
          [out, channels, 1, 1],
          toOnnxFilter(pointwise, [1, 1, channels, out]),
        ),
        constant(`conv${layer}.b`, [out], weight(`conv${layer}/bias`)),
      ],
      outputs: [`conv${layer}.out`],
      attributes: { kernel_shape: [1, 1] },
    });
    leaky(`conv${layer}.out`, `conv${layer}.act`);
    maxPool(`conv${layer}.act`, `pool${layer}`, layer < 5 ? 2 : 1);
    current = `pool${layer}`;
    channels = out;
  }

  // conv8: 1x1 to the box encodings, no activation.
  const head = weight('conv8/filters');
  const outputs = ANCHORS * BOX_ENCODING;
  nodes.push({
    op: 'Conv',
    inputs: [
      current,
      constant('conv8.w', [outputs, channels, 1, 1], toOnnxFilter(head, [1, 1, channels, outputs])),
      constant('conv8.b', [outputs], weight('conv8/bias')),
    ],
    outputs: ['grid'],
    attributes: { kernel_shape: [1, 1] },
  });

  return encodeOnnxModel(
    {
      name: 'tiny_face_detector',
      inputs: [
        { name: 'photo', elemType: UINT8, shape: [1, 'height', 'width', 3] },
        { name: 'pads', elemType: INT64, shape: [8] },
      ],
      outputs: [{ name: 'grid', elemType: FLOAT, shape: [1, outputs, size, size] }],
      nodes,
      initializers,
      opset: 13,
    },
    'shoebox-face-screening',
  );
}

/** RGBA composited over white, as RGB (what face-api is given for a photo with transparency). */
function overWhite({ data, width, height }: WorkingImage): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0, o = 0; p < width * height; p += 1, q += 3, o += 4) {
    const a = data[o + 3]! / 255;
    rgb[q] = Math.round(data[o]! * a + 255 * (1 - a));
    rgb[q + 1] = Math.round(data[o + 1]! * a + 255 * (1 - a));
    rgb[q + 2] = Math.round(data[o + 2]! * a + 255 * (1 - a));
  }
  return rgb;
}

let session: Promise<ort.InferenceSession> | null = null;

/** Builds the graph and opens it in ONNX Runtime, once per process. */
export function loadScreeningModel(): Promise<ort.InferenceSession> {
  session ??= (async () => {
    const graph = screeningGraph(await readWeights(modelDir(), WEIGHTS_FILE));
    return await ort.InferenceSession.create(graph, {
      // One worker per core already: a second thread inside one would only contend.
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  })();
  // A failed load is not cached: the next photo tries again (and fails with the same sentence).
  session.catch(() => (session = null));
  return session;
}

/** The padding (ONNX Pad's begins, then ends, NHWC) that squares a photo at the right or bottom. */
function squarePads(width: number, height: number): BigInt64Array {
  const side = Math.max(width, height);
  return BigInt64Array.from([0, 0, 0, 0, 0, side - height, side - width, 0].map(BigInt));
}

/** The detector's raw output for a working copy: [25, 8, 8], anchors' encodings by cell. */
export async function screeningGrid(image: WorkingImage): Promise<Float32Array> {
  const model = await loadScreeningModel();
  const { width, height } = image;
  const rgb = image.channels === 3 ? image.data : overWhite(image);
  const { grid } = await model.run({
    photo: new ort.Tensor('uint8', rgb, [1, height, width, 3]),
    pads: new ort.Tensor('int64', squarePads(width, height), [8]),
  });
  return grid!.data as Float32Array;
}

/** The highest face score anywhere in the photo (0..1), as face-api's detector would give it. */
export async function screeningScore(image: WorkingImage): Promise<number> {
  const grid = await screeningGrid(image);
  const cells = grid.length / (ANCHORS * BOX_ENCODING);
  let best = -Infinity;
  for (let anchor = 0; anchor < ANCHORS; anchor += 1) {
    const scores = (anchor * BOX_ENCODING + 4) * cells;
    for (let cell = 0; cell < cells; cell += 1) best = Math.max(best, grid[scores + cell]!);
  }
  return 1 / (1 + Math.exp(-best));
}

/** True when the screening detector sees anything face-like in the working copy. */
export async function mightShowFaces(image: WorkingImage): Promise<boolean> {
  return (await screeningScore(image)) > SCREEN_MIN_SCORE;
}
