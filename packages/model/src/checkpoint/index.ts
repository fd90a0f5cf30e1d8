export { CheckpointError, countIndexed, expectShape, numelOf, requireTensor, type StateDict, type TensorData } from './types.js';
export { halfToFloat, type DType } from './dtype.js';
export { PickleCallable, unpickle, type UnpickleOptions } from './pickle.js';
export { readTorchCheckpoint } from './torch.js';
export { readSafetensors, readSafetensorsMetadata, writeSafetensors } from './safetensors.js';
export { readCheckpoint, sniffCheckpointFormat, type CheckpointFormat } from './read.js';
export {
  floatToBFloat16Bits,
  floatToHalfBits,
  writeTorchCheckpoint,
  type TorchStoredDType,
  type TorchWriteOptions,
} from './torch-writer.js';
