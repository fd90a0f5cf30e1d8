/**
 * PyTorch `torch.save(state_dict)` checkpoints (the zip format, torch >= 1.6).
 *
 * Layout: `<archive>/data.pkl` (a protocol-2 pickle of the dict), `<archive>/data/<key>` (one raw
 * storage per key, little-endian unless `<archive>/byteorder` says "big"), `<archive>/version`.
 * `<archive>` is often `archive` or the file stem. In the pickle a storage is the persistent id
 * `('storage', torch.<Type>Storage, key, location, numel)` and a tensor is
 * `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
 *
 * Only those globals (plus `collections.OrderedDict` and `_rebuild_parameter`) are allowed; anything
 * else is refused before it could run. Tensors are materialised via their strides and storage
 * offset, so views and non-contiguous tensors load correctly. Non-tensor entries are skipped.
 */
import { decodeElements, itemSize, type DType } from './dtype.js';
import { PickleCallable, refusedGlobal, unpickle } from './pickle.js';
import { CheckpointError, numelOf, type StateDict, type TensorData } from './types.js';
import { listZip, readZipEntry, type ZipEntry } from './zip.js';

/** `torch.<Name>Storage` → element type. Integer/bool buffers are converted to float32 too. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
};

/** Largest tensor we materialise (2^31 − 1 float32 = 8 GiB): a bigger one is a corrupt size. */
const MAX_ELEMENTS = 2 ** 31 - 1;

class StorageType {
  constructor(readonly dtype: DType) {}
}
class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
  ) {}
}
class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** True for a pickle stream (0x80 PROTO), i.e. the legacy pre-1.6 `torch.save` format. */
export function isLegacyTorchPickle(bytes: Uint8Array): boolean {
  return bytes[0] === 0x80 && (bytes[1] ?? 99) <= 5;
}

export const LEGACY_MESSAGE =
  'legacy (non-zip, pre-1.6) PyTorch checkpoint format is not supported: re-save it with torch>=1.6, ' +
  'e.g. `torch.save(torch.load(path, map_location="cpu"), "converted.pth")`, which writes the zip format';

/** Reads a `torch.save` zip checkpoint into float32 tensors. Unwraps `{"model": sd}` / `{"state_dict": sd}`. */
export function readTorchCheckpoint(bytes: Uint8Array): StateDict {
  if (isLegacyTorchPickle(bytes)) throw new CheckpointError(LEGACY_MESSAGE);
  const entries = listZip(bytes);
  const pkls = [...entries.keys()].filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (pkls.length !== 1) {
    throw new CheckpointError(
      pkls.length === 0
        ? 'zip has no <archive>/data.pkl: not a torch.save checkpoint'
        : `zip has several data.pkl files (${pkls.join(', ')})`,
    );
  }
  const prefix = pkls[0]!.slice(0, -'data.pkl'.length);
  if (entries.has(`${prefix}constants.pkl`)) {
    throw new CheckpointError(
      'this is a TorchScript archive (torch.jit.save), not a state dict: save one with ' + '`torch.save(model.state_dict(), path)`',
    );
  }
  const entry = (name: string): ZipEntry | undefined => entries.get(prefix + name);
  const order = entry('byteorder');
  const littleEndian = order ? new TextDecoder().decode(readZipEntry(bytes, order)).trim() !== 'big' : true;

  const root = unpickle(readZipEntry(bytes, entry('data.pkl')!), {
    findClass: findTorchClass,
    persistentLoad: storageLoader(),
  });
  const refs = findStateDict(root);

  const storages = new Map<string, Float32Array>();
  const loadStorage = (s: StorageRef, tensorName: string): Float32Array => {
    let data = storages.get(s.key);
    if (!data) {
      const e = entry(`data/${s.key}`);
      if (!e) throw new CheckpointError(`storage data/${s.key} of tensor "${tensorName}" is missing from the zip`);
      const raw = readZipEntry(bytes, e);
      const need = s.numel * itemSize(s.dtype);
      if (raw.length < need) {
        throw new CheckpointError(
          `storage data/${s.key} of tensor "${tensorName}" has ${raw.length} bytes, ` +
            `but its ${s.numel} ${s.dtype} elements need ${need}`,
        );
      }
      data = decodeElements(raw, s.dtype, s.numel, littleEndian);
      storages.set(s.key, data);
    }
    return data;
  };

  const sd: StateDict = new Map();
  for (const [name, ref] of refs) sd.set(name, materialise(ref, loadStorage(ref.storage, name), name));
  return sd;
}

function findTorchClass(module: string, name: string): unknown {
  const full = `${module}.${name}`;
  if (full === 'collections.OrderedDict') return new PickleCallable(full, orderedDict);
  if (full === 'torch._utils._rebuild_tensor_v2') return new PickleCallable(full, rebuildTensor);
  if (full === 'torch._utils._rebuild_parameter' || full === 'torch._utils._rebuild_parameter_with_state') {
    // (data, requires_grad, backward_hooks[, state]): a Parameter is its data here.
    return new PickleCallable(full, (args) => {
      if (!(args[0] instanceof TensorRef)) throw new CheckpointError(`${full} of something other than a tensor`);
      return args[0];
    });
  }
  const dtype = module === 'torch' ? STORAGE_DTYPES[name] : undefined;
  if (dtype) return new StorageType(dtype);
  throw refusedGlobal(module, name);
}

/** `OrderedDict()` (protocol 2) or `OrderedDict([[k, v], ...])` (older writers). */
function orderedDict(args: unknown[]): Map<unknown, unknown> {
  const d = new Map<unknown, unknown>();
  const items = args[0];
  if (Array.isArray(items)) {
    for (const kv of items) if (Array.isArray(kv) && kv.length === 2) d.set(kv[0], kv[1]);
  }
  return d;
}

/** Persistent ids → one StorageRef per key (storages may be shared by several tensors). */
function storageLoader(): (pid: unknown) => StorageRef {
  const seen = new Map<string, StorageRef>();
  return (pid) => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5) {
      throw new CheckpointError('unsupported persistent id in data.pkl (expected a torch storage)');
    }
    const [, type, key, , numel] = pid as unknown[];
    if (!(type instanceof StorageType) || typeof key !== 'string' || !isCount(numel)) {
      throw new CheckpointError('malformed torch storage id in data.pkl');
    }
    const prev = seen.get(key);
    if (prev) {
      if (prev.dtype !== type.dtype) throw new CheckpointError(`storage ${key} is used with two dtypes`);
      return prev;
    }
    const ref = new StorageRef(key, type.dtype, numel);
    seen.set(key, ref);
    return ref;
  };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, size, stride] = args;
  if (
    !(storage instanceof StorageRef) ||
    !isCount(offset) ||
    !Array.isArray(size) ||
    !Array.isArray(stride) ||
    size.length !== stride.length ||
    !size.every(isCount) ||
    !stride.every(isCount)
  ) {
    throw new CheckpointError('malformed _rebuild_tensor_v2 arguments in data.pkl');
  }
  return new TensorRef(storage, offset, size as number[], stride as number[]);
}

/** The dict of tensors: the root, or the root's "model"/"state_dict" entry (recursively). */
function findStateDict(root: unknown): Map<string, TensorRef> {
  if (!(root instanceof Map)) throw new CheckpointError('checkpoint does not hold a dict of tensors');
  const out = new Map<string, TensorRef>();
  for (const [k, v] of root) if (typeof k === 'string' && v instanceof TensorRef) out.set(k, v);
  if (out.size > 0 || root.size === 0) return out;
  for (const wrapper of ['model', 'state_dict']) {
    const inner = root.get(wrapper);
    if (inner instanceof Map) return findStateDict(inner);
  }
  const keys = [...root.keys()].slice(0, 5).map(String).join(', ');
  throw new CheckpointError(`checkpoint dict holds no tensors, nor a "model" or "state_dict" entry (keys: ${keys})`);
}

/** Copies a tensor out of its storage, honouring offset and strides, into row-major order. */
function materialise(t: TensorRef, storage: Float32Array, name: string): TensorData {
  const { size, stride, offset } = t;
  const n = numelOf(size);
  const shape = [...size];
  if (n === 0) return { shape, data: new Float32Array(0) };
  if (n > MAX_ELEMENTS) throw new CheckpointError(`tensor "${name}" has ${n} elements, more than ${MAX_ELEMENTS}`);
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
  if (last >= t.storage.numel) {
    throw new CheckpointError(
      `tensor "${name}" (shape [${size.join(', ')}], stride [${stride.join(', ')}], offset ${offset}) ` +
        `reaches element ${last} of storage data/${t.storage.key}, which holds ${t.storage.numel}`,
    );
  }
  let expected = 1;
  let contiguous = true;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d]!;
  }
  if (contiguous) return { shape, data: storage.slice(offset, offset + n) };
  const out = new Float32Array(n);
  const idx = new Array<number>(size.length).fill(0);
  let p = offset;
  for (let i = 0; i < n; i++) {
    out[i] = storage[p]!;
    for (let d = size.length - 1; d >= 0; d--) {
      p += stride[d]!;
      if (++idx[d]! < size[d]!) break;
      p -= stride[d]! * size[d]!;
      idx[d] = 0;
    }
  }
  return { shape, data: out };
}
