/**
 * Format sniffing: one entry point for any checkpoint file's bytes.
 *
 * `PK\x03\x04` (or an empty zip) → PyTorch zip; `0x80 <proto>` → legacy torch pickle (refused
 * with how to convert); u64 header length + `{` → safetensors. The file name is not consulted,
 * since `.pth`, `.pt` and `.bin` are all used for the same format.
 */
import { readSafetensors } from './safetensors.js';
import { isLegacyTorchPickle, LEGACY_MESSAGE, readTorchCheckpoint } from './torch.js';
import { CheckpointError, type StateDict } from './types.js';

export type CheckpointFormat = 'torch-zip' | 'safetensors' | 'legacy-torch' | 'unknown';

/** Which format the bytes look like, from their first few bytes. */
export function sniffCheckpointFormat(bytes: Uint8Array): CheckpointFormat {
  const b = (i: number): number => bytes[i] ?? -1;
  if (b(0) === 0x50 && b(1) === 0x4b && ((b(2) === 3 && b(3) === 4) || (b(2) === 5 && b(3) === 6))) {
    return 'torch-zip';
  }
  if (isLegacyTorchPickle(bytes)) return 'legacy-torch';
  if (bytes.length >= 10) {
    const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
    if (n >= 2n && n <= BigInt(bytes.length - 8) && b(8) === 0x7b) return 'safetensors';
  }
  return 'unknown';
}

/** Reads a PyTorch zip or safetensors checkpoint into float32 tensors. */
export function readCheckpoint(bytes: Uint8Array): StateDict {
  const format = sniffCheckpointFormat(bytes);
  switch (format) {
    case 'torch-zip':
      return readTorchCheckpoint(bytes);
    case 'safetensors':
      return readSafetensors(bytes);
    case 'legacy-torch':
      throw new CheckpointError(LEGACY_MESSAGE);
    case 'unknown': {
      const head = new TextDecoder().decode(bytes.subarray(0, 40));
      if (head.startsWith('version https://git-lfs')) {
        throw new CheckpointError('this is a Git LFS pointer, not a checkpoint: fetch the file with `git lfs pull`');
      }
      if (bytes.length === 0) throw new CheckpointError('checkpoint file is empty');
      throw new CheckpointError('unrecognised checkpoint format: expected a PyTorch zip checkpoint (torch.save) or safetensors');
    }
  }
}
