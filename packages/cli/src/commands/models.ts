/** `tsam models pull|list`: the official checkpoints in the local cache. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describePullResult, formatBytes, listModels, modelsDir, progressBarReporter, pullModel } from '@tsam/node';

/** Files in the models cache that no registry entry names (pulled by URL), skipping partial downloads. */
function otherDownloads(known: Set<string>): { file: string; path: string; bytes: number }[] {
  let names: string[];
  try {
    names = readdirSync(modelsDir());
  } catch {
    return [];
  }
  return names
    .filter((f) => !known.has(f) && !f.endsWith('.part'))
    .sort()
    .map((file) => ({ file, path: join(modelsDir(), file) }))
    .flatMap((f) => {
      const st = statSync(f.path, { throwIfNoEntry: false });
      return st?.isFile() ? [{ ...f, bytes: st.size }] : [];
    });
}

export function modelsCommand(): Command {
  const models = new Command('models').description('download and list official SAM checkpoints');
  models
    .command('pull')
    .description('download a checkpoint (vit_b, vit_l, vit_h, mobile_sam) or a URL into the cache; resumes and checks SHA-256')
    .argument('<name|url>', 'model name or URL')
    .action(async (nameOrUrl: string) => {
      const bar = progressBarReporter({ label: nameOrUrl });
      const result = await pullModel(nameOrUrl, { onProgress: bar.onProgress }).finally(() => bar.stop());
      process.stderr.write(`${describePullResult(result)}\n`);
      process.stdout.write(`${result.path}\n`);
    });
  models
    .command('list')
    .description('list known models and whether they are downloaded')
    .action(() => {
      const known = listModels();
      for (const m of known) {
        const size = m.bytes ? formatBytes(m.bytes) : '?';
        process.stdout.write(
          `${m.isDefault ? '*' : ' '} ${m.name.padEnd(12)} ${size.padStart(10)}  ${m.cached ? `downloaded: ${m.path}` : 'not downloaded'}\n`,
        );
      }
      // Checkpoints pulled by URL: usable as --checkpoint PATH.
      for (const f of otherDownloads(new Set(known.map((m) => m.file)))) {
        process.stdout.write(`  ${f.file.padEnd(12)} ${formatBytes(f.bytes).padStart(10)}  downloaded: ${f.path}\n`);
      }
    });
  return models;
}
