// The accurate face detector, SSD MobileNet v1, on ONNX Runtime: face-api's own network and
// weights (its model/ folder), rebuilt as an ONNX graph in memory the way screening.ts rebuilds
// the Tiny Face Detector, with face-api's box decoding and non-maximum suppression here in
// TypeScript. It runs on every photo that passes the screening, and most of those that have no
// face end here: on TensorFlow.js WebAssembly this look cost about 0.3 s a photo and, the first
// time in a worker, a second more to start TensorFlow.js and warm it up; natively it is a few
// tens of milliseconds. TensorFlow.js now starts only for a photo with a face, for the landmarks
// and descriptors (detector.ts).
import type ort from 'onnxruntime-node';
import type { WorkingImage } from '../features/pixels.ts';
import { encodeOnnxModel, FLOAT, type Initializer, type Node } from '../onnx-writer.ts';
import { loadOnce } from '../load-once.ts';
import { modelDir } from './model-files.ts';
import { type GraphRecipe, openGraph } from './graph-cache.ts';
import {
  PHOTO_INPUTS,
  photoFeeds,
  readWeight,
  samePadding,
  squareInputNodes,
  type StoredTensor,
  toOnnxFilter,
  weightOf,
} from './onnx-graph.ts';

/** face-api's SSD input side: the photo, squared with black, is resized to this. */
const SSD_INPUT = 512;
/** TensorFlow's batch-norm epsilon, as face-api's mobileNetV1 passes it. */
const BATCH_NORM_EPSILON = 0.0010000000474974513;
/** Depthwise layers of MobileNet v1 that halve the resolution. */
const STRIDE_TWO_LAYERS = new Set([2, 4, 6, 12]);
/** face-api's non-maximum suppression bar: boxes overlapping more than this are one face. */
const IOU_THRESHOLD = 0.5;
const WEIGHTS_FILE = 'ssd_mobilenetv1_model';
/** Box encodings (4) and class logits (background, face, unused) per anchor. */
const BOX = 4;
const CLASSES = 3;

/** A face SSD found: its score and its box as fractions of the photo's width and height. */
export interface SsdDetection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}

interface SsdModel {
  session: ort.InferenceSession;
  /** The prior boxes the encodings are relative to: [ymin, xmin, ymax, xmax] per anchor. */
  anchors: Float32Array;
}

/**
 * SSD MobileNet v1 as an ONNX graph, from `photo` and `pads` (see onnx-graph.ts) to `encodings`
 * [1, 5118, 4] and `classes` [1, 5118, 3]: face-api's SsdMobilenetv1.forwardInput step for step
 * (input scaled to -1..1, MobileNet v1 with ReLU6, the eight extra layers, six box predictors on
 * feature maps from 32x32 down to 1x1), stopping before the box decoding.
 */
export function ssdGraph(weights: Map<string, StoredTensor>): Uint8Array {
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  const weight = (name: string): StoredTensor => weightOf(weights, name);
  const constant = (name: string, dims: number[], data: Initializer['data']): string => {
    initializers.push({ name, dims, data });
    return name;
  };
  constant('relu6.min', [], Float32Array.of(0));
  constant('relu6.max', [], Float32Array.of(6));

  const input = squareInputNodes(SSD_INPUT, 'resized');
  nodes.push(
    ...input.nodes,
    { op: 'Div', inputs: ['resized', 'half.range'], outputs: ['scaled'] },
    { op: 'Sub', inputs: ['scaled', 'one'], outputs: ['pixels'] },
  );
  initializers.push(...input.initializers);
  constant('half.range', [], Float32Array.of(127.5));
  constant('one', [], Float32Array.of(1));

  let size = SSD_INPUT;
  let channels = 3;
  /** A convolution with TensorFlow's "same" padding; bias, then ReLU6 when `relu6`. */
  const conv = (
    name: string,
    from: string,
    filters: StoredTensor,
    kernel: number,
    out: number,
    stride: number,
    bias: StoredTensor,
    relu6: boolean,
  ): string => {
    const { out: next, before, after } = samePadding(size, kernel, stride);
    nodes.push({
      op: 'Conv',
      inputs: [
        from,
        constant(
          `${name}.w`,
          [out, channels, kernel, kernel],
          toOnnxFilter(filters, [kernel, kernel, channels, out]),
        ),
        constant(`${name}.b`, [out], bias),
      ],
      outputs: [`${name}.out`],
      attributes: {
        kernel_shape: [kernel, kernel],
        strides: [stride, stride],
        pads: [before, before, after, after],
      },
    });
    size = next;
    channels = out;
    if (!relu6) return `${name}.out`;
    nodes.push({
      op: 'Clip',
      inputs: [`${name}.out`, 'relu6.min', 'relu6.max'],
      outputs: [`${name}.act`],
    });
    return `${name}.act`;
  };
  /** face-api's pointwiseConvLayer: a convolution, its batch-norm offset as bias, ReLU6. */
  const pointwise = (prefix: string, from: string, stride: number): string => {
    const filters = weight(`${prefix}/weights`);
    const bias = weight(`${prefix}/convolution_bn_offset`);
    const kernel = Math.round(Math.sqrt(filters.length / (channels * bias.length)));
    return conv(prefix, from, filters, kernel, bias.length, stride, bias, true);
  };
  /** face-api's depthwiseConvLayer: 3x3 per channel, batch norm, ReLU6. */
  const depthwise = (prefix: string, from: string, stride: number): string => {
    const { out: next, before, after } = samePadding(size, 3, stride);
    nodes.push(
      {
        op: 'Conv',
        inputs: [
          from,
          constant(
            `${prefix}.w`,
            [channels, 1, 3, 3],
            toOnnxFilter(weight(`${prefix}/depthwise_weights`), [3, 3, channels, 1]),
          ),
        ],
        outputs: [`${prefix}.out`],
        attributes: {
          kernel_shape: [3, 3],
          strides: [stride, stride],
          pads: [before, before, after, after],
          group: channels,
        },
      },
      {
        op: 'BatchNormalization',
        inputs: [
          `${prefix}.out`,
          constant(`${prefix}.gamma`, [channels], weight(`${prefix}/BatchNorm/gamma`)),
          constant(`${prefix}.beta`, [channels], weight(`${prefix}/BatchNorm/beta`)),
          constant(`${prefix}.mean`, [channels], weight(`${prefix}/BatchNorm/moving_mean`)),
          constant(`${prefix}.var`, [channels], weight(`${prefix}/BatchNorm/moving_variance`)),
        ],
        outputs: [`${prefix}.norm`],
        floatAttributes: { epsilon: BATCH_NORM_EPSILON },
      },
      {
        op: 'Clip',
        inputs: [`${prefix}.norm`, 'relu6.min', 'relu6.max'],
        outputs: [`${prefix}.act`],
      },
    );
    size = next;
    return `${prefix}.act`;
  };

  // MobileNet v1.
  let current = pointwise('MobilenetV1/Conv2d_0_pointwise', 'pixels', 2);
  let conv11 = { name: '', size: 0, channels: 0 };
  for (let layer = 1; layer <= 13; layer += 1) {
    current = depthwise(
      `MobilenetV1/Conv2d_${layer}_depthwise`,
      current,
      STRIDE_TWO_LAYERS.has(layer) ? 2 : 1,
    );
    current = pointwise(`MobilenetV1/Conv2d_${layer}_pointwise`, current, 1);
    if (layer === 11) conv11 = { name: current, size, channels };
  }

  // The extra layers, each pair halving the resolution; and the maps the predictors look at.
  const maps = [conv11, { name: current, size, channels }];
  for (let layer = 0; layer <= 7; layer += 1) {
    current = pointwise(`Prediction/Conv2d_${layer}_pointwise`, current, layer % 2 === 1 ? 2 : 1);
    if (layer % 2 === 1) maps.push({ name: current, size, channels });
  }

  // Six box predictors: per cell and anchor, four box encodings and three class logits, in
  // TensorFlow's order (row, column, anchor), which is the order of the anchors in the weights.
  const encodings: string[] = [];
  const classes: string[] = [];
  maps.forEach((map, index) => {
    for (const [kind, width, list] of [
      ['BoxEncodingPredictor', BOX, encodings],
      ['ClassPredictor', CLASSES, classes],
    ] as const) {
      const prefix = `Prediction/BoxPredictor_${index}/${kind}`;
      size = map.size;
      channels = map.channels;
      const bias = weight(`${prefix}/biases`);
      const out = conv(
        prefix,
        map.name,
        weight(`${prefix}/weights`),
        1,
        bias.length,
        1,
        bias,
        false,
      );
      nodes.push(
        {
          op: 'Transpose',
          inputs: [out],
          outputs: [`${prefix}.nhwc`],
          attributes: { perm: [0, 2, 3, 1] },
        },
        {
          op: 'Reshape',
          inputs: [
            `${prefix}.nhwc`,
            constant(`${prefix}.shape`, [3], BigInt64Array.from([1n, -1n, BigInt(width)])),
          ],
          outputs: [`${prefix}.rows`],
        },
      );
      list.push(`${prefix}.rows`);
    }
  });
  nodes.push(
    { op: 'Concat', inputs: encodings, outputs: ['encodings'], attributes: { axis: 1 } },
    { op: 'Concat', inputs: classes, outputs: ['classes'], attributes: { axis: 1 } },
  );

  return encodeOnnxModel(
    {
      name: 'ssd_mobilenet_v1',
      inputs: PHOTO_INPUTS,
      outputs: [
        { name: 'encodings', elemType: FLOAT, shape: [1, 'anchors', BOX] },
        { name: 'classes', elemType: FLOAT, shape: [1, 'anchors', CLASSES] },
      ],
      nodes,
      initializers,
      opset: 13,
    },
    'shoebox-face-detector',
  );
}

/** How the SSD graph is made, for graph-cache.ts. */
export const SSD_RECIPE: GraphRecipe = {
  name: 'face-ssd',
  version: 1,
  weightsFile: WEIGHTS_FILE,
  build: ssdGraph,
};

/**
 * Opens the graph (from this machine's cache after the first time) and reads the anchors, once
 * per process, at the first photo that passes screening.
 */
export const loadSsdModel: () => Promise<SsdModel> = loadOnce(async () => {
  const [session, anchors] = await Promise.all([
    openGraph(SSD_RECIPE),
    readWeight(modelDir(), WEIGHTS_FILE, 'Output/extra_dim'),
  ]);
  return { session, anchors: anchors.values() };
});

type Corners = [number, number, number, number];

/** face-api's decodeBoxesLayer for one anchor: its encoding against its prior box. */
function decodeBox(encodings: Float32Array, anchors: Float32Array, i: number): Corners {
  const [a0, a1, a2, a3] = [
    anchors[i * 4]!,
    anchors[i * 4 + 1]!,
    anchors[i * 4 + 2]!,
    anchors[i * 4 + 3]!,
  ];
  const [p0, p1, p2, p3] = [
    encodings[i * 4]!,
    encodings[i * 4 + 1]!,
    encodings[i * 4 + 2]!,
    encodings[i * 4 + 3]!,
  ];
  const height = a2 - a0;
  const width = a3 - a1;
  const halfHeight = (Math.exp(p2 / 5) * height) / 2;
  const halfWidth = (Math.exp(p3 / 5) * width) / 2;
  const centreY = (p0 / 10) * height + (a0 + height / 2);
  const centreX = (p1 / 10) * width + (a1 + width / 2);
  return [centreY - halfHeight, centreX - halfWidth, centreY + halfHeight, centreX + halfWidth];
}

/** face-api's IOU: corners [ymin, xmin, ymax, xmax], taken in whichever order they come. */
function overlap(a: Corners, b: Corners): number {
  const box = ([y0, x0, y1, x1]: Corners) => ({
    top: Math.min(y0, y1),
    left: Math.min(x0, x1),
    bottom: Math.max(y0, y1),
    right: Math.max(x0, x1),
  });
  const p = box(a);
  const q = box(b);
  const areaP = (p.bottom - p.top) * (p.right - p.left);
  const areaQ = (q.bottom - q.top) * (q.right - q.left);
  if (areaP <= 0 || areaQ <= 0) return 0;
  const shared =
    Math.max(Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top), 0) *
    Math.max(Math.min(p.right, q.right) - Math.max(p.left, q.left), 0);
  return shared / (areaP + areaQ - shared);
}

/**
 * The faces in a photo, as face-api's SsdMobilenetv1.locateFaces finds them: scores above
 * `minScore`, best first, none overlapping a better one by more than half, at most `maxResults`.
 */
export async function detectFaces(
  image: WorkingImage,
  minScore: number,
  maxResults: number,
): Promise<SsdDetection[]> {
  const { session, anchors } = await loadSsdModel();
  const output = await session.run(photoFeeds(image));
  const encodings = output.encodings!.data as Float32Array;
  const classes = output.classes!.data as Float32Array;
  const count = classes.length / CLASSES;

  const candidates: { index: number; score: number; corners: Corners }[] = [];
  for (let i = 0; i < count; i += 1) {
    const score = 1 / (1 + Math.exp(-classes[i * CLASSES + 1]!));
    if (score > minScore)
      candidates.push({ index: i, score, corners: decodeBox(encodings, anchors, i) });
  }
  candidates.sort((a, b) => b.score - a.score);
  const kept: typeof candidates = [];
  for (const candidate of candidates) {
    if (kept.length >= Math.min(maxResults, count)) break;
    if (kept.every((better) => overlap(candidate.corners, better.corners) <= IOU_THRESHOLD))
      kept.push(candidate);
  }

  // The boxes are fractions of the padded square; as fractions of the photo they stretch by
  // the square's side over the photo's own (after face-api's rounding of the resized photo).
  const scale = SSD_INPUT / Math.max(image.width, image.height);
  const stretchX = SSD_INPUT / Math.round(image.width * scale);
  const stretchY = SSD_INPUT / Math.round(image.height * scale);
  return kept.map(({ score, corners: [y0, x0, y1, x1] }) => {
    const top = Math.max(0, y0) * stretchY;
    const bottom = Math.min(1, y1) * stretchY;
    const left = Math.max(0, x0) * stretchX;
    const right = Math.min(1, x1) * stretchX;
    return { score, box: { x: left, y: top, width: right - left, height: bottom - top } };
  });
}
