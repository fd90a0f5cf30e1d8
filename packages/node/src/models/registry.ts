/**
 * Registry of the official SAM checkpoints that `tsam models pull NAME` knows.
 *
 * Hashes and sizes are pinned so a truncated or tampered download is caught
 * before it reaches the (slow, memory-hungry) checkpoint loader.
 */

import type { SamFamily } from '@tsam/model';

/** One downloadable checkpoint. `sha256`/`bytes` are optional for custom entries. */
export interface ModelEntry {
  /** Canonical name, e.g. `vit_h`: also the name of its configuration in its family's `variants`. */
  name: string;
  /** Extra names accepted on the command line (matched case-insensitively, `-` = `_`). */
  aliases?: string[];
  /** File name under `<cache>/models/`. */
  file: string;
  /** Download URL. */
  url: string;
  /** Lower-case hex SHA-256 of the whole file, when known. */
  sha256?: string;
  /** Exact size in bytes, when known. */
  bytes?: number;
  /** The model family the checkpoint belongs to (`@tsam/model`'s `SAM_FAMILIES`). */
  family?: SamFamily;
  description?: string;
}

const FB_BASE = 'https://dl.fbaipublicfiles.com/segment_anything';

/*
 * Sources (each hash/size seen in several independent public repositories):
 * - SAM SHA-256s: computational-cell-analytics/micro-sam `micro_sam/util.py` (_CHECKSUMS),
 *   plus many Dockerfiles/download scripts running `sha256sum -c` on the fbaipublicfiles URLs.
 * - SAM sizes: model manifests listing sam_vit_h 2564550879, sam_vit_l 1249524607,
 *   sam_vit_b 375042383 next to the same hashes.
 * - MobileSAM: the same micro-sam table (`vit_t`) and several MobileSAM integrations pinning
 *   sha256 6dbb9052… / 40728226 bytes for weights/mobile_sam.pt (repo commit f706ad9c).
 */
export const BUILTIN_MODELS: readonly ModelEntry[] = Object.freeze([
  {
    name: 'mobile_sam',
    aliases: ['mobilesam', 'mobile-sam', 'vit_t', 'sam_vit_t', 'mobile_sam.pt'],
    file: 'mobile_sam.pt',
    url: 'https://raw.githubusercontent.com/ChaoningZhang/MobileSAM/master/weights/mobile_sam.pt',
    sha256: '6dbb90523a35330fedd7f1d3dfc66f995213d81b29a5ca8108dbcdd4e37d6c2f',
    bytes: 40_728_226,
    family: 'mobile_sam',
    description: 'MobileSAM (TinyViT encoder, 40 MB) — fast, default',
  },
  {
    name: 'vit_b',
    aliases: ['sam_vit_b', 'sam_b', 'sam_vit_b_01ec64'],
    file: 'sam_vit_b_01ec64.pth',
    url: `${FB_BASE}/sam_vit_b_01ec64.pth`,
    sha256: 'ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912',
    bytes: 375_042_383,
    family: 'sam_vit',
    description: 'SAM ViT-B (375 MB)',
  },
  {
    name: 'vit_l',
    aliases: ['sam_vit_l', 'sam_l', 'sam_vit_l_0b3195'],
    file: 'sam_vit_l_0b3195.pth',
    url: `${FB_BASE}/sam_vit_l_0b3195.pth`,
    sha256: '3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622',
    bytes: 1_249_524_607,
    family: 'sam_vit',
    description: 'SAM ViT-L (1.2 GB)',
  },
  {
    name: 'vit_h',
    aliases: ['sam_vit_h', 'sam_h', 'sam_vit_h_4b8939'],
    file: 'sam_vit_h_4b8939.pth',
    url: `${FB_BASE}/sam_vit_h_4b8939.pth`,
    sha256: 'a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e',
    bytes: 2_564_550_879,
    family: 'sam_vit',
    description: 'SAM ViT-H (2.5 GB) — most accurate',
  },
]);

export const DEFAULT_MODEL = 'mobile_sam';

/** Options shared by every model function; all overridable so tests never touch the network. */
export interface RegistryOptions {
  /** Replaces the directory part of every registry URL (`${baseUrl}/${file}`). Env: TSAM_MODEL_BASE_URL. */
  baseUrl?: string;
  /** Extra entries; an entry with an existing name replaces the built-in one. */
  registry?: readonly ModelEntry[];
  /** Environment to read (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
}

const norm = (s: string): string => s.trim().toLowerCase().replace(/-/g, '_');

/** The effective registry: built-ins, overridden by `registry`, with the base URL applied. */
export function modelRegistry(opts: RegistryOptions = {}): ModelEntry[] {
  const byName = new Map<string, ModelEntry>();
  for (const e of [...BUILTIN_MODELS, ...(opts.registry ?? [])]) byName.set(norm(e.name), { ...e });
  const base = (opts.baseUrl ?? (opts.env ?? process.env).TSAM_MODEL_BASE_URL ?? '').replace(/\/+$/, '');
  const entries = [...byName.values()];
  if (!base) return entries;
  return entries.map((e) => ({ ...e, url: `${base}/${encodeURIComponent(e.file)}` }));
}

/** Finds an entry by name, alias or file name; undefined when unknown. */
export function findModel(name: string, opts: RegistryOptions = {}): ModelEntry | undefined {
  const key = norm(name);
  return modelRegistry(opts).find((e) => norm(e.name) === key || norm(e.file) === key || (e.aliases ?? []).some((a) => norm(a) === key));
}

/** Whether the argument should be treated as a download URL rather than a model name. */
export function isUrl(s: string): boolean {
  return /^https?:\/\//i.test(s);
}
