/**
 * Shared helpers for the server tests: one temp dir tree per test file (model export, spill
 * cache), the fixture model, a real server on a free loopback port, and small HTTP helpers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import sharp from 'sharp';
import { decompressRle, rleToMask, type CompressedRle } from '@tsam/core';
import { loadSam, type LoadedSam } from '@tsam/node';
import { createServer, type ServerOptions, type TsamServer } from '../src/index.js';
import { fixturePath } from '../../../testing/fixtures.js';

export const CHECKPOINT = 'sam_vit_mini_trained.pth';
export const PORTRAIT = 'scene_portrait.png';

const created: string[] = [];
const servers: TsamServer[] = [];
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  if (process.env.TSAM_TEST_KEEP) return;
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir, removed after the test file. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tsam-server-${prefix}-`));
  created.push(dir);
  return dir;
}

/** A fixture model (default: the trained one, for pictures), exported into this file's own temp cache. */
export function openModel(checkpoint = CHECKPOINT): Promise<LoadedSam> {
  return loadSam({ checkpoint: fixturePath(checkpoint), cacheDir: tempDir('model') });
}

/** A real server on 127.0.0.1 and a free port, closed after the test file. */
export async function startServer(sam: LoadedSam, opts: ServerOptions = {}): Promise<TsamServer> {
  const server = await createServer({ sam, port: 0, appDir: join(tempDir('noapp'), 'missing'), ...opts });
  servers.push(server);
  return server;
}

/** An HTTP response with its body read once. */
export interface Res {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = unknown>(): T;
}

export async function request(url: string, init: RequestInit = {}): Promise<Res> {
  const r = await fetch(url, init);
  const body = Buffer.from(await r.arrayBuffer());
  return { status: r.status, headers: r.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T };
}

export function postJson(url: string, body: unknown): Promise<Res> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export function upload(base: string, bytes: Uint8Array, type = 'image/png', name?: string): Promise<Res> {
  const q = name !== undefined ? `?name=${encodeURIComponent(name)}` : '';
  return request(`${base}/api/images${q}`, { method: 'POST', headers: { 'content-type': type }, body: Buffer.from(bytes) });
}

/** A compressed COCO RLE → a row-major 0/1 mask. */
export function rleMask(rle: CompressedRle): Uint8Array {
  return rleToMask(decompressRle(rle));
}

/** An image different from the fixtures: the portrait resized and tinted (`k` picks the variant). */
export async function variantPng(k: number): Promise<Buffer> {
  return sharp(fixturePath(PORTRAIT))
    .resize(160 + 40 * k, 200 + 30 * k, { fit: 'fill' })
    .modulate({ hue: 30 * k })
    .png()
    .toBuffer();
}

export interface ErrorJson {
  error: string;
  message: string;
  statusCode: number;
}

/** Base64 → Float32Array (little-endian host). */
export function f32(base64: string): Float32Array {
  return new Float32Array(Uint8Array.from(Buffer.from(base64, 'base64')).buffer);
}
