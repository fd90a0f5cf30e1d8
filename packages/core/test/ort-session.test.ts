import { describe, expect, it } from 'vitest';
import { ortSession, type OrtSessionLike, type OrtTensorLike } from '../src/backend.js';

/** What an adapter's tensor factory makes (here: a tagged copy of the feed, to see it arrive). */
interface FakeTensor {
  tag: 'fake';
  data: Float32Array;
  dims: number[];
}

/** An ORT-shaped session that doubles its `x` input into `y` and records what it was given. */
function fakeOrt(extra: Record<string, OrtTensorLike> = {}) {
  const calls: { feeds: Record<string, FakeTensor>; fetches: string[] | undefined }[] = [];
  let released = 0;
  const run = async (feeds: Record<string, FakeTensor>, fetches?: string[]): Promise<Record<string, OrtTensorLike>> => {
    calls.push({ feeds, fetches });
    const x = feeds.x!;
    const all: Record<string, OrtTensorLike> = { y: { type: 'float32', data: x.data.map((v) => 2 * v), dims: x.dims }, ...extra };
    return fetches ? Object.fromEntries(fetches.map((f) => [f, all[f]!])) : all;
  };
  const session: OrtSessionLike<FakeTensor> = { run, release: async () => void released++ };
  return { session, calls, released: () => released };
}

const toTensor = (t: { data: Float32Array; dims: readonly number[] }): FakeTensor => ({ tag: 'fake', data: t.data, dims: [...t.dims] });

describe('ortSession: one ORT ↔ TensorLike conversion for onnxruntime-node and onnxruntime-web', () => {
  it('converts feeds with the runtime’s factory, passes fetches, returns float32 outputs as they are', async () => {
    const ort = fakeOrt({ z: { type: 'float32', data: Float32Array.of(7), dims: [1] } });
    const s = ortSession(ort.session, toTensor);
    const x = Float32Array.of(1, -2.5, 3);
    const all = await s.run({ x: { data: x, dims: [1, 3] } });
    expect(ort.calls[0]!.feeds.x).toEqual({ tag: 'fake', data: x, dims: [1, 3] });
    expect(ort.calls[0]!.fetches).toBeUndefined();
    expect(Object.keys(all)).toEqual(['y', 'z']);
    expect(Array.from(all.y!.data)).toEqual([2, -5, 6]);
    expect(all.y!.dims).toEqual([1, 3]);
    const some = await s.run({ x: { data: x, dims: [1, 3] } }, ['z']);
    expect(ort.calls[1]!.fetches).toEqual(['z']);
    expect(Object.keys(some)).toEqual(['z']);
    await s.release?.();
    expect(ort.released()).toBe(1);
  });

  it('names an output that is not float32', async () => {
    const s = ortSession(fakeOrt({ n: { type: 'int64', data: BigInt64Array.of(1n), dims: [1] } }).session, toTensor);
    await expect(s.run({ x: { data: Float32Array.of(1), dims: [1] } })).rejects.toThrow('model output "n" is int64, expected float32');
    const lying = ortSession(fakeOrt({ w: { type: 'float32', data: [1, 2], dims: [2] } }).session, toTensor);
    await expect(lying.run({ x: { data: Float32Array.of(1), dims: [1] } })).rejects.toThrow(
      'model output "w": the runtime returned no Float32Array data',
    );
  });
});
