// Finds faces in one decoded photo and describes each by a 128-number vector in which the faces
// of one person lie close together. The models and the WebAssembly runtime ship inside npm
// packages (@vladmandic/face-api's model/ folder, @tensorflow/tfjs-backend-wasm's .wasm files)
// and are read from disk: nothing is downloaded, ever.
//
// Cost is what decides the shape (docs/decisions.md, "Faces"): most photos have no face, so
// every photo pays only for a small, fast detector (screening.ts: Tiny Face Detector, 256 px
// input, on ONNX Runtime) on the working copy the other features already come from. A photo
// where it sees something plausible is decoded again from the same bytes at 1024 px, so that a
// face a tenth of the photo wide still has enough pixels for a descriptor, and the accurate
// detector looks at it (ssd.ts: SSD MobileNet v1, also on ONNX Runtime). Only a photo with a
// face pays for TensorFlow.js, where face-api's own pipeline finds the 68 landmarks that align
// each face and runs the descriptor network.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import sharp from 'sharp';
import type { FaceBox } from '../../../shared/domain.ts';
import { rgbOverWhite, type WorkingImage } from '../features/pixels.ts';
import type { DetectedFace } from './face-types.ts';
import { loadOnce } from '../load-once.ts';
import { modelDir } from './model-files.ts';
import { mightShowFaces } from './screening.ts';
import { detectFaces, type SsdDetection } from './ssd.ts';
import { installWasmConcat, type KernelRegistry } from './wasm-concat.ts';

export type { DetectedFace };

/** The accurate detector's bar for a face to be kept. */
export const FACE_MIN_SCORE = 0.5;
/** At most this many faces in one photo (face-api's default). */
const MAX_FACES = 100;
/** Long edge of the copy the accurate detector and the descriptors work on. */
export const DETAIL_SIZE = 1024;
/** Faces smaller than this (in pixels of the detail copy) give descriptors too blurred to use. */
export const MIN_FACE_PIXELS = 24;

// The slice of face-api and TensorFlow.js used here, typed by hand: the packages' own
// declarations pull in browser types this Node-only module must not depend on.
interface Tensor {
  dispose(): void;
}
interface Detection {
  score: number;
  box: { x: number; y: number; width: number; height: number };
}
interface DescribedFace {
  detection: Detection;
  descriptor: Float32Array;
}
interface Net {
  loadFromDisk(dir: string): Promise<void>;
}
interface Dimensions {
  width: number;
  height: number;
}
interface DetectorNet {
  locateFaces(input: Tensor, options: object): Promise<Detection[]>;
}
interface FaceApi {
  tf: KernelRegistry & {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    getBackend(): string;
    tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): Tensor;
    env(): { set(flag: string, value: unknown): void };
  };
  nets: {
    ssdMobilenetv1: DetectorNet;
    faceLandmark68Net: Net;
    faceRecognitionNet: Net;
  };
  FaceDetection: new (score: number, relativeBox: Rect, imageDims: Dimensions) => Detection;
  Rect: new (x: number, y: number, width: number, height: number) => Rect;
  SsdMobilenetv1Options: new (o: { minConfidence: number; maxResults: number }) => object;
  detectAllFaces(
    input: Tensor,
    options: object,
  ): PromiseLike<Detection[]> & {
    withFaceLandmarks(): { withFaceDescriptors(): PromiseLike<DescribedFace[]> };
  };
}
type Rect = object;
interface WasmBackend {
  setWasmPaths(prefix: string, usePlatformFetch?: boolean): void;
}

// Not named `require`: electron-vite's main build declares its own, and a second one stops the
// built engine from loading.
const loadPackage = createRequire(import.meta.url);

/**
 * Loads TensorFlow.js on its WebAssembly backend, once per process: about a second, paid by a
 * worker only when the first photo passes the screening.
 */
export const loadTensorFlow: () => Promise<FaceApi> = loadOnce(async () => {
  // The Node build of face-api that runs on WebAssembly (the package's default entry wants
  // the native tfjs-node, which downloads a binary at install time).
  const faceapi = loadPackage('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
  const wasm = loadPackage('@tensorflow/tfjs-backend-wasm') as WasmBackend;
  // The .wasm files from the package folder, read from disk by the runtime itself (false:
  // not through fetch, which in Node cannot read files).
  const wasmDir = dirname(loadPackage.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(`${wasmDir}/`, false);
  if (!(await faceapi.tf.setBackend('wasm'))) {
    throw new Error('The face models could not start their WebAssembly runtime.');
  }
  await faceapi.tf.ready();
  installWasmConcat(faceapi.tf);
  return faceapi;
});

/**
 * The faces ssd.ts found in each input tensor, for face-api's pipeline to pick up: keyed by the
 * tensor, so two photos in flight could never see each other's.
 */
const foundIn = new WeakMap<Tensor, { faces: SsdDetection[]; dims: Dimensions }>();

/**
 * Loads the landmarks and the descriptor network (7 MB), once per process, when the first photo
 * with a face arrives. face-api's pipeline (detect, then landmarks, then descriptors) is kept,
 * with its detection step answered by what ssd.ts already found, as face-api's own detector
 * would have answered it (the same network and weights; screening.int.test.ts and
 * ssd.int.test.ts hold them equal).
 */
export const loadFaceModels: () => Promise<FaceApi> = loadOnce(async () => {
  const faceapi = await loadTensorFlow();
  const dir = modelDir();
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  faceapi.nets.ssdMobilenetv1.locateFaces = (input) => {
    const found = foundIn.get(input);
    if (!found) throw new Error('The face pipeline was given a photo nobody looked at.');
    return Promise.resolve(
      found.faces.map(
        ({ score, box }) =>
          new faceapi.FaceDetection(
            score,
            new faceapi.Rect(box.x, box.y, box.width, box.height),
            found.dims,
          ),
      ),
    );
  };
  return faceapi;
});

/** RGB pixels as the int32 HWC tensor face-api takes; alpha composited over white. */
function toTensor(faceapi: FaceApi, image: WorkingImage): Tensor {
  const { width, height } = image;
  // Widened by the typed-array constructor in one native copy (a JavaScript loop took 2 ms).
  return faceapi.tf.tensor3d(new Int32Array(rgbOverWhite(image)), [height, width, 3], 'int32');
}

/**
 * The oriented photo at DETAIL_SIZE on its long edge (never enlarged), RGB. Decoded again from
 * the bytes, because the working copy (384 px) is too small for the descriptors; shrink-on-load
 * keeps it cheap, and only photos that passed the screening pay for it.
 */
export async function decodeDetail(bytes: Buffer, maxPixels: number): Promise<WorkingImage> {
  const { data, info } = await sharp(bytes, {
    failOn: 'error',
    limitInputPixels: maxPixels,
    pages: 1,
  })
    .autoOrient()
    .resize(DETAIL_SIZE, DETAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .toColourspace('srgb')
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

/** Faces on the detail copy: accurate boxes, aligned by landmarks, each with its descriptor. */
export async function describeFaces(detail: WorkingImage): Promise<DetectedFace[]> {
  const detected = await detectFaces(detail, FACE_MIN_SCORE, MAX_FACES);
  if (detected.length === 0) return [];
  const faceapi = await loadFaceModels();
  const input = toTensor(faceapi, detail);
  foundIn.set(input, { faces: detected, dims: { width: detail.width, height: detail.height } });
  try {
    const found = await faceapi
      .detectAllFaces(
        input,
        new faceapi.SsdMobilenetv1Options({ minConfidence: FACE_MIN_SCORE, maxResults: MAX_FACES }),
      )
      .withFaceLandmarks()
      .withFaceDescriptors();
    const faces: DetectedFace[] = [];
    for (const { detection, descriptor } of found) {
      const box = clampBox(detection.box, detail.width, detail.height);
      if (!box || Math.min(box.width * detail.width, box.height * detail.height) < MIN_FACE_PIXELS)
        continue;
      faces.push({ box, score: detection.score, descriptor: Float32Array.from(descriptor) });
    }
    // A stable order (top to bottom, then left to right) so a face's index within its photo
    // means the same face every time the photo is analysed: the journal refers to faces by it.
    faces.sort((a, b) => a.box.y - b.box.y || a.box.x - b.box.x);
    return faces;
  } finally {
    input.dispose();
  }
}

/** A detector box (pixels, possibly reaching past the edges) as fractions inside the photo. */
function clampBox(box: Detection['box'], width: number, height: number): FaceBox | null {
  const x0 = Math.max(0, box.x);
  const y0 = Math.max(0, box.y);
  const x1 = Math.min(width, box.x + box.width);
  const y1 = Math.min(height, box.y + box.height);
  if (!(x1 > x0 && y1 > y0)) return null;
  return { x: x0 / width, y: y0 / height, width: (x1 - x0) / width, height: (y1 - y0) / height };
}

/**
 * Every face in a photo, from its working copy (screening) and its bytes (the detail copy).
 * Throws only when the models cannot run at all; a photo without faces is an empty list.
 */
export async function findFaces(
  working: WorkingImage,
  bytes: Buffer,
  maxPixels: number,
): Promise<DetectedFace[]> {
  if (!(await mightShowFaces(working))) return [];
  return await describeFaces(await decodeDetail(bytes, maxPixels));
}
