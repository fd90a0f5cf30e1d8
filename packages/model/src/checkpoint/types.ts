/**
 * What every checkpoint reader returns, and the checks the model builder uses on it.
 *
 * Every tensor is loaded as float32 whatever its stored dtype, so the model code has one path.
 */

/** One tensor: row-major (C order) `data` of `shape`. A 0-d tensor has `shape: []` and one element. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** Parameter and buffer name (e.g. `image_encoder.patch_embed.proj.weight`) → tensor, in file order. */
export type StateDict = Map<string, TensorData>;

/**
 * The one error type of the checkpoint readers: bad or unsupported files, refused pickle globals,
 * missing tensors and wrong shapes. Callers can tell "this file is unusable" from a bug.
 */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Number of elements of a shape (1 for `[]`). */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** The tensor named `key`; throws a CheckpointError naming the key when it is absent. */
export function requireTensor(sd: StateDict, key: string): TensorData {
  const t = sd.get(key);
  if (t === undefined) {
    throw new CheckpointError(`checkpoint is missing tensor "${key}"${nearbyKeysHint(sd, key)}`);
  }
  return t;
}

/**
 * The tensor named `key`, checked to have exactly `shape`. A wrong shape usually means a checkpoint
 * of another model size, so the message names the key and both shapes.
 */
export function expectShape(sd: StateDict, key: string, shape: readonly number[]): TensorData {
  const t = requireTensor(sd, key);
  const same = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
  if (!same) {
    throw new CheckpointError(`checkpoint tensor "${key}" has shape ${formatShape(t.shape)}, expected ${formatShape(shape)}`);
  }
  return t;
}

/** A hint listing up to three keys sharing the longest dotted prefix with `key` (typo or other layout). */
function nearbyKeysHint(sd: StateDict, key: string): string {
  const parts = key.split('.');
  for (let n = parts.length - 1; n > 0; n--) {
    const prefix = parts.slice(0, n).join('.') + '.';
    const near = [...sd.keys()].filter((k) => k.startsWith(prefix)).slice(0, 3);
    if (near.length > 0) return ` (found e.g. ${near.map((k) => `"${k}"`).join(', ')})`;
  }
  return sd.size === 0 ? ' (the checkpoint holds no tensors)' : '';
}

/** Counts `${prefix}.{i}.` groups: the number of blocks in a ModuleList. */
export function countIndexed(sd: StateDict, prefix: string): number {
  let n = 0;
  while ([...sd.keys()].some((k) => k.startsWith(`${prefix}.${n}.`))) n++;
  return n;
}
