/**
 * Serialises a Graph to an ONNX ModelProto with onnx-proto (protobufjs). Weights become
 * initializers; when they would push the file past protobuf's 2 GB limit they go to a sidecar
 * file as ONNX external data, which ONNX Runtime reads from beside the model.
 */
import onnxProto from 'onnx-proto';
import type { AttrValue, ConstTensor, Graph, ValueInfo } from './graph.js';
import type { DType, Shape } from './tensor.js';

const { onnx } = onnxProto;

export const OPSET = 17;
/** Versions of the non-default operator sets a graph may use (ONNX Runtime's contrib ops). */
export const CONTRIB_OPSETS: Record<string, number> = { 'com.microsoft': 1 };
const IR_VERSION = 8;
const DTYPE_CODE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10, int8: 3, uint8: 2, float64: 11 };

export interface WriteOptions {
  /** File name of the external-data sidecar, relative to the model file. */
  externalDataName?: string;
  /** Total initializer bytes above which weights go external. Default 1.8 GiB. */
  externalThreshold?: number;
  producerName?: string;
  docString?: string;
  metadata?: Record<string, string>;
}

export interface SerializedModel {
  /** The .onnx file. */
  model: Uint8Array;
  /** Present when weights went external: write these chunks, in order, to `location`. */
  externalData?: { location: string; chunks: Uint8Array[]; bytes: number };
}

function bytesOf(t: ConstTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

function valueInfo(v: ValueInfo): onnxProto.onnx.IValueInfoProto {
  const dims = (v.shape as Shape).map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d.startsWith('?') ? undefined : d }));
  return { name: v.name, type: { tensorType: { elemType: DTYPE_CODE[v.dtype], shape: { dim: dims } } } };
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: { dims: [...v.tensor.shape], dataType: DTYPE_CODE[v.tensor.dtype], rawData: bytesOf(v.tensor) } };
}

/** Builds the ModelProto bytes (and external data, when needed) for `g`. */
export function serializeModel(g: Graph, opts: WriteOptions = {}): SerializedModel {
  const threshold = opts.externalThreshold ?? 1.8 * 1024 ** 3;
  const total = g.initializers.reduce((a, t) => a + t.data.byteLength, 0);
  const external = total > threshold;
  const location = opts.externalDataName ?? `${g.name}.onnx.data`;
  const chunks: Uint8Array[] = [];
  let offset = 0;

  const initializer = g.initializers.map((t): onnxProto.onnx.ITensorProto => {
    const raw = bytesOf(t);
    const base = { name: t.name, dims: [...t.shape], dataType: DTYPE_CODE[t.dtype] };
    // Small tensors stay inline so shape constants remain visible to optimisers.
    if (!external || raw.byteLength < 1024) return { ...base, rawData: raw };
    const entry = {
      ...base,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(raw.byteLength) },
      ],
    };
    chunks.push(raw);
    // Keep every tensor 64-byte aligned so runtimes may mmap it.
    const padded = Math.ceil(raw.byteLength / 64) * 64;
    if (padded > raw.byteLength) chunks.push(new Uint8Array(padded - raw.byteLength));
    offset += padded;
    return entry;
  });

  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: opts.producerName ?? 'tsam',
    docString: opts.docString ?? '',
    opsetImport: [
      { domain: '', version: OPSET },
      ...[...new Set(g.nodes.map((n) => n.domain ?? ''))]
        .filter((d) => d !== '')
        .map((domain) => ({ domain, version: CONTRIB_OPSETS[domain] ?? 1 })),
    ],
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map((n) => ({
        opType: n.op,
        name: n.name,
        input: n.inputs,
        output: n.outputs,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
      })),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
      initializer,
    },
  };
  const bytes = onnx.ModelProto.encode(model).finish();
  return external ? { model: bytes, externalData: { location, chunks, bytes: offset } } : { model: bytes };
}
