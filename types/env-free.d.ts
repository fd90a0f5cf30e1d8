/**
 * The few globals that both Node and browsers provide, declared for the environment-free
 * packages (onnx, model, core), which compile without Node or DOM types.
 */
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
/** Forgiving base64 decoding (WHATWG), in Node ≥ 16 and every browser; used by core's wire codec. */
declare function atob(data: string): string;
