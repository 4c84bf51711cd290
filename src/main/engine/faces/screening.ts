// The screening look every photo gets: does anything in it look like a face? It is face-api's
// Tiny Face Detector, the same weights from the same package, but run by ONNX Runtime's native
// CPU kernels instead of TensorFlow.js on WebAssembly. The network is small (five separable
// convolutions), so the graph is rebuilt here from the package's weight files, the first time
// this machine needs it, and kept as ONNX Runtime optimised it (graph-cache.ts): nothing is
// generated at build time and nothing is downloaded.
//
// Why not TensorFlow.js, which still runs the landmarks and descriptors (docs/decisions.md,
// "Faces"): most photos show no face, so this look is all they pay for faces. On TensorFlow.js
// it cost 15 ms of processor time a photo plus about a second to start each worker; natively it
// costs 2-3 ms and about 0.2 s to start.
import type ort from 'onnxruntime-node';
import type { WorkingImage } from '../features/pixels.ts';
import { encodeOnnxModel, FLOAT, type Initializer, type Node } from '../onnx-writer.ts';
import { loadOnce } from '../load-once.ts';
import { type GraphRecipe, openGraph } from './graph-cache.ts';
import {
  PHOTO_INPUTS,
  photoFeeds,
  samePadding,
  squareInputNodes,
  type StoredTensor,
  toOnnxFilter,
  weightOf,
} from './onnx-graph.ts';

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

/**
 * The Tiny Face Detector as an ONNX graph, from the working copy's pixels as they are (`photo`,
 * uint8 [1, height, width, 3]) and the padding that makes it square (`pads`, see `squarePads`)
 * to `grid` [1, 25, 8, 8]: five anchors of five numbers per cell. Step for step what face-api
 * does: pad to a square with black at the right or bottom, resize bilinearly to 256 the way
 * TensorFlow does without corner alignment or half-pixel centres ("asymmetric"), subtract the
 * mean colour, divide by 255, then TinyYolov2Base.runMobilenet's layers with these weights.
 */
export function screeningGraph(weights: Map<string, StoredTensor>): Uint8Array {
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  const weight = (name: string): StoredTensor => weightOf(weights, name);
  const constant = (name: string, dims: number[], data: Initializer['data']): string => {
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
    const { out, before, after } = samePadding(size, 2, stride);
    nodes.push({
      op: 'MaxPool',
      inputs: [input],
      outputs: [output],
      attributes: {
        kernel_shape: [2, 2],
        strides: [stride, stride],
        pads: [before, before, after, after],
      },
    });
    size = out;
  };

  // The input as face-api prepares it, in channels-first order.
  const input = squareInputNodes(SCREEN_INPUT, 'resized');
  nodes.push(
    ...input.nodes,
    { op: 'Sub', inputs: ['resized', 'mean'], outputs: ['centred'] },
    { op: 'Div', inputs: ['centred', 'range'], outputs: ['pixels'] },
  );
  initializers.push(
    ...input.initializers,
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
      inputs: PHOTO_INPUTS,
      outputs: [{ name: 'grid', elemType: FLOAT, shape: [1, outputs, size, size] }],
      nodes,
      initializers,
      opset: 13,
    },
    'shoebox-face-screening',
  );
}

/** How the screening graph is made, for graph-cache.ts. */
export const SCREENING_RECIPE: GraphRecipe = {
  name: 'face-screening',
  version: 1,
  weightsFile: WEIGHTS_FILE,
  build: screeningGraph,
};

/** Opens the graph in ONNX Runtime (from this machine's cache after the first time), once per process. */
export const loadScreeningModel: () => Promise<ort.InferenceSession> = loadOnce(() =>
  openGraph(SCREENING_RECIPE),
);

/** The detector's raw output for a working copy: [25, 8, 8], anchors' encodings by cell. */
export async function screeningGrid(image: WorkingImage): Promise<Float32Array> {
  const model = await loadScreeningModel();
  const { grid } = await model.run(photoFeeds(image));
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
