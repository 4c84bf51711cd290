// A faster Concat for TensorFlow.js's WebAssembly backend, for the shape face-api's networks
// subtract their mean colour with.
//
// Why: tfjs-backend-wasm 4.22 joins tensors in JavaScript, one `subarray().set()` per input per
// outer row. face-api subtracts a mean colour by concatenating three [1, size, size, 1] planes
// along the last axis: one-value rows, size x size of them. For the Tiny Face Detector at 256
// that was about 200,000 tiny copies, 6 of its 20 ms a photo (measured with the CPU profiler);
// the screening now runs on ONNX Runtime (screening.ts), but the landmark and descriptor
// networks still do the same for every face (112 and 150 px). Here narrow rows (up to
// NARROW_ROW values) are copied value by value in one loop; anything else is left to the
// backend's own kernel. The result is the same tensor, value for value
// (wasm-concat.int.test.ts compares the two).

/** Rows up to this many values are copied one value at a time, wider ones by the backend. */
export const NARROW_ROW = 64;

interface TensorInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}
type TypedArray = Float32Array | Int32Array | Uint8Array;
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): TypedArray;
}
interface ConcatArgs {
  inputs: TensorInfo[];
  backend: WasmBackend;
  attrs: { axis: number | number[] };
}
interface KernelConfig {
  kernelName: string;
  backendName: string;
  kernelFunc: (args: ConcatArgs) => TensorInfo;
}
/** The part of TensorFlow.js's kernel registry used here. */
export interface KernelRegistry {
  getKernel(name: string, backend: string): KernelConfig | undefined;
  registerKernel(config: KernelConfig): void;
  unregisterKernel(name: string, backend: string): void;
}

const sizeOf = (shape: readonly number[]): number => shape.reduce((product, d) => product * d, 1);

/** Kernel functions installed here, so a second install does not wrap the first. */
const replaced = new WeakSet<object>();

/** Replaces the wasm backend's Concat with concatNarrowRows (once; later calls do nothing). */
export function installWasmConcat(tf: KernelRegistry): void {
  const original = tf.getKernel('Concat', 'wasm');
  if (!original || replaced.has(original.kernelFunc)) return;
  const kernelFunc = (args: ConcatArgs): TensorInfo =>
    concatNarrowRows(args) ?? original.kernelFunc(args);
  replaced.add(kernelFunc);
  tf.unregisterKernel('Concat', 'wasm');
  tf.registerKernel({ ...original, kernelFunc });
}

/** Whether the registered wasm Concat is this module's. */
export function wasmConcatInstalled(tf: KernelRegistry): boolean {
  const current = tf.getKernel('Concat', 'wasm');
  return current !== undefined && replaced.has(current.kernelFunc);
}

/** The concatenation, or null when the backend's own kernel should do it. */
export function concatNarrowRows({ inputs, backend, attrs }: ConcatArgs): TensorInfo | null {
  const first = inputs[0];
  if (!first) return null;
  const rank = first.shape.length;
  const asked = Array.isArray(attrs.axis) ? attrs.axis[0] : attrs.axis;
  if (asked === undefined || rank === 0) return null;
  const axis = asked < 0 ? asked + rank : asked;
  const parts = inputs.filter((input) => sizeOf(input.shape) > 0);
  if (parts.length < 2) return null;
  if (parts.some((part) => part.dtype !== first.dtype || part.dtype === 'string')) return null;
  const rows = parts.map((part) => sizeOf(part.shape.slice(axis)));
  if (rows.some((row) => row > NARROW_ROW)) return null;
  const outShape = [...first.shape];
  outShape[axis] = parts.reduce((sum, part) => sum + part.shape[axis]!, 0);
  // The output first: making it can grow the wasm memory, which would detach views taken earlier.
  const out = backend.makeOutput(outShape, first.dtype);
  const target = backend.typedArrayFromHeap(out);
  const sources = parts.map((part) => backend.typedArrayFromHeap(part));
  const outer = sizeOf(first.shape.slice(0, axis));
  const width = rows.reduce((sum, row) => sum + row, 0);
  // Part by part, each copied into its columns of every output row: the inner loop reads one
  // array and writes one, which the JIT turns into a tight copy (the detector's case is three
  // parts of one column each).
  for (let p = 0, column = 0; p < sources.length; column += rows[p]!, p++) {
    const source = sources[p]!;
    const row = rows[p]!;
    if (row === 1) {
      for (let o = 0, at = column; o < outer; o++, at += width) target[at] = source[o]!;
    } else {
      for (let o = 0, read = 0; o < outer; o++) {
        for (let at = o * width + column, end = at + row; at < end; at++)
          target[at] = source[read++]!;
      }
    }
  }
  return out;
}
