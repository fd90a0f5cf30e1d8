/**
 * `tsam serve`: the HTTP server (@tsam/server) — image upload, embeddings, prompts, automatic
 * masks and the annotator page — on 127.0.0.1 unless told otherwise. The model loads once.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { TsamServer } from '@tsam/server';
import { parsePositiveInt } from '../args.js';
import { removeInterruptHandler } from '../interrupt.js';
import { addModelOptions, openModel, type ModelOpts } from './model-options.js';

interface ServeOpts extends ModelOpts {
  host: string;
  port: number;
  cacheMb: number;
  cacheDir?: string;
  appDir?: string;
  images?: string;
  maxUploadMb: number;
  maxPixels: number;
  log?: boolean;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`expected a port 0–65535 (0 = any free port), got "${value}"`);
  return n;
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

/** A pixel count: `64000000`, `64M` or `64MP`. */
function parsePixels(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(m|mp)?\s*$/i.exec(value);
  const n = m ? Number(m[1]) * (m[2] ? 1e6 : 1) : NaN;
  if (!(n >= 1)) throw new InvalidArgumentError(`expected a pixel count like 64000000 or 64M, got "${value}"`);
  return Math.round(n);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function serveCommand(): Command {
  const cmd = new Command('serve')
    .description('serve SAM over HTTP: upload images, get embeddings, predict masks, run the annotator page')
    .option('--host <host>', 'interface to listen on (anything but loopback exposes the server: no authentication)', '127.0.0.1')
    .option('--port <port>', 'port (0 = any free port)', parsePort, 8080)
    .option('--cache-mb <n>', 'embedding cache size in MiB (LRU)', parsePositive, 512)
    .option('--cache-dir <dir>', 'write evicted embeddings here as .npy and reload them instead of recomputing (kept across restarts)')
    .option('--app-dir <dir>', 'the annotator’s static build to serve at / (default: apps/annotator/dist)')
    .option('--images <dir>', 'offer the images of this folder (encoded when first used)')
    .option('--max-upload-mb <n>', 'largest upload in MiB (bigger → 413)', parsePositive, 50)
    .option('--max-pixels <n>', 'largest image, width × height (e.g. 64M; bigger → 413, not decoded)', parsePixels, 64_000_000)
    .option('--log', 'log every request (JSON lines on stdout)');
  addModelOptions(cmd);
  cmd.addOption(new Option('--encoder-concurrency <n>', 'encoder runs at the same time').argParser(parsePositiveInt).hideHelp());
  cmd.addHelpText(
    'after',
    '\nExamples:\n  tsam serve\n  tsam serve --checkpoint sam_vit_b_01ec64.pth --port 0 --images ~/photos --cache-dir ~/.cache/tsam/server',
  );
  return cmd.action(async (opts: ServeOpts & { encoderConcurrency?: number }) => {
    const { createServer } = await import('@tsam/server'); // loaded only by this command
    const sam = await openModel(opts);
    let server: TsamServer;
    try {
      server = await createServer({
        sam,
        host: opts.host,
        port: opts.port,
        cacheMb: opts.cacheMb,
        maxUploadMb: opts.maxUploadMb,
        maxPixels: opts.maxPixels,
        logger: opts.log ? { level: 'info' } : { level: 'error' },
        onWarning: (m) => process.stderr.write(`tsam serve: warning: ${m}\n`),
        ...(opts.cacheDir !== undefined && { cacheDir: opts.cacheDir }),
        ...(opts.appDir !== undefined && { appDir: opts.appDir }),
        ...(opts.images !== undefined && { imagesDir: opts.images }),
        ...(opts.encoderConcurrency !== undefined && { encoderConcurrency: opts.encoderConcurrency }),
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new Error(`port ${opts.port} on ${opts.host} is in use; pass another --port, or --port 0 for any free one`);
      if (code === 'EADDRNOTAVAIL') throw new Error(`--host ${opts.host} is not an address of this machine; use 127.0.0.1 (the default)`);
      if (code === 'EACCES')
        throw new Error(
          `not allowed to listen on port ${opts.port} (ports below 1024 need privileges); pass --port 8080, or --port 0 for any free one`,
        );
      throw e;
    }
    const name = sam.manifest.checkpoint.file.replace(/^.*[/\\]/, '');
    if (!LOOPBACK.has(opts.host))
      process.stderr.write(`tsam serve: warning: listening on ${opts.host}; anyone who can reach it can use the server\n`);
    const preloaded = opts.images ? `, ${server.preloaded.length} images from ${opts.images}` : '';
    process.stderr.write(
      `tsam serve: model ${name}, cache ${opts.cacheMb} MiB${opts.cacheDir ? ` (spill: ${opts.cacheDir})` : ''}${preloaded}\n`,
    );
    process.stdout.write(`${server.url}\n`);
    const stop = (signal: string): void => {
      process.stderr.write(`tsam serve: ${signal}, shutting down\n`);
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    removeInterruptHandler(); // serve shuts down gracefully instead
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
