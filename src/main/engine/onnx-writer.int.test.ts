// The hand-written ONNX writer, read back by the real ONNX Runtime: a small graph that uses every
// kind of field the writer emits (int, negative int, int list, float and string attributes,
// float and int64 initialisers, named and symbolic dimensions, a uint8 input) must load and
// compute what the operators say.
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  encodeOnnxModel,
  FLOAT,
  INT64,
  UINT8,
  type DeferredFloats,
  type Initializer,
} from './onnx-writer.ts';

describe('encodeOnnxModel', () => {
  it('writes a model ONNX Runtime loads and runs as described', async () => {
    const model = encodeOnnxModel({
      name: 'every-field',
      inputs: [{ name: 'pixels', elemType: UINT8, shape: [1, 'width'] }],
      outputs: [
        { name: 'joined', elemType: FLOAT, shape: [2, 'twice'] },
        { name: 'shape', elemType: INT64, shape: [2] },
      ],
      nodes: [
        { op: 'Cast', inputs: ['pixels'], outputs: ['floats'], attributes: { to: FLOAT } },
        { op: 'Sub', inputs: ['floats', 'offset'], outputs: ['centred'] },
        {
          op: 'LeakyRelu',
          inputs: ['centred'],
          outputs: ['leaky'],
          floatAttributes: { alpha: 0.25 },
        },
        { op: 'Concat', inputs: ['leaky', 'leaky'], outputs: ['row'], attributes: { axis: -1 } },
        { op: 'Concat', inputs: ['row', 'row'], outputs: ['rows'], attributes: { axis: 0 } },
        {
          op: 'Transpose',
          inputs: ['rows'],
          outputs: ['turned'],
          attributes: { perm: [1, 0] },
        },
        {
          op: 'Transpose',
          inputs: ['turned'],
          outputs: ['joined'],
          attributes: { perm: [1, 0] },
        },
        {
          op: 'Resize',
          inputs: ['joined', '', '', 'size'],
          outputs: ['resized'],
          stringAttributes: { mode: 'nearest' },
        },
        { op: 'Shape', inputs: ['resized'], outputs: ['shape'] },
      ],
      initializers: [
        { name: 'offset', dims: [], data: Float32Array.of(10) },
        { name: 'size', dims: [2], data: BigInt64Array.of(4n, 8n) },
      ],
      opset: 13,
    });
    const session = await ort.InferenceSession.create(model);
    const { joined, shape } = await session.run({
      pixels: new ort.Tensor('uint8', Uint8Array.of(2, 10, 30), [1, 3]),
    });
    // (2, 10, 30) - 10 = (-8, 0, 20); leaky: (-2, 0, 20); twice along the row, then two rows.
    expect(joined!.dims).toEqual([2, 6]);
    expect(Array.from(joined!.data as Float32Array)).toEqual([
      -2, 0, 20, -2, 0, 20, -2, 0, 20, -2, 0, 20,
    ]);
    expect(Array.from(shape!.data as BigInt64Array)).toEqual([4n, 8n]);
  });

  it('writes deferred floats as the same bytes as the arrays they stand for', async () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    const later = (array: Float32Array): DeferredFloats => ({
      length: array.length,
      write: (into) => into.set(array),
    });
    const graph = (name: string, data: (array: Float32Array) => Initializer['data']) =>
      encodeOnnxModel({
        name: 'deferred',
        inputs: [{ name: 'x', elemType: FLOAT, shape: [1000] }],
        outputs: [{ name: 'y', elemType: FLOAT, shape: [1000] }],
        nodes: [{ op: 'Add', inputs: ['x', name], outputs: ['y'] }],
        initializers: [
          { name, dims: [1000], data: data(values) },
          // Smaller than the first: the writer's scratch array is reused, not outgrown.
          { name: 'unused', dims: [3], data: data(Float32Array.of(1, 2, 3)) },
        ],
      });
    // Names of one, two and three letters move the tensors off four-byte alignment.
    for (const name of ['w', 'ww', 'www'])
      expect(Buffer.from(graph(name, later))).toEqual(Buffer.from(graph(name, (a) => a)));
    const session = await ort.InferenceSession.create(graph('ww', later));
    const { y } = await session.run({
      x: new ort.Tensor('float32', new Float32Array(1000), [1000]),
    });
    expect(Array.from(y!.data as Float32Array)).toEqual(Array.from(values));
  });
});
