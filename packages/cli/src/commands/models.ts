/** `tsam models pull|list`: the official checkpoints (and any pulled by URL or path) in the local cache. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';

/** Files in the models cache `dir` that no registry entry names (pulled by URL or path), skipping partial downloads. */
function otherDownloads(known: Set<string>, dir: string): { file: string; path: string; bytes: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((f) => !known.has(f) && !f.endsWith('.part'))
    .sort()
    .map((file) => ({ file, path: join(dir, file) }))
    .flatMap((f) => {
      const st = statSync(f.path, { throwIfNoEntry: false });
      return st?.isFile() ? [{ ...f, bytes: st.size }] : [];
    });
}

export function modelsCommand(): Command {
  const models = new Command('models').description('download and list SAM checkpoints');
  models
    .command('pull')
    .description(
      'download a checkpoint (vit_b, vit_l, vit_h, mobile_sam) or a URL into the cache, or copy in a file downloaded by hand; resumes and checks SHA-256',
    )
    .argument('<name|url|path>', 'model name, https:// URL, or a local path / file:// URL')
    .option('--json', 'print the result as JSON on stdout (and nothing else)')
    .addHelpText(
      'after',
      '\nWithout network: download the file by hand (the URLs are in `tsam models list --json`), then\n  tsam models pull ~/Downloads/mobile_sam.pt\nIt is checked against the known SHA-256 and copied into the cache.',
    )
    .action(async (nameOrUrl: string, o: { json?: boolean }) => {
      const [{ describePullResult, pullModel }, { pullProgress }] = await Promise.all([
        import('@tsam/node'),
        import('../pull-progress.js'),
      ]);
      const bar = pullProgress({ label: nameOrUrl });
      const result = await pullModel(nameOrUrl, { onProgress: bar.onProgress }).finally(() => bar.stop());
      process.stderr.write(`${describePullResult(result)}\n`);
      process.stdout.write(o.json ? `${JSON.stringify(result)}\n` : `${result.path}\n`);
    });
  models
    .command('list')
    .description('list known models, where each one lives, and whether it is downloaded')
    .option('--json', 'print the list as JSON on stdout')
    .action(async (o: { json?: boolean }) => {
      const { formatBytes, listModels, modelsDir } = await import('@tsam/node');
      const known = listModels();
      // Checkpoints pulled by URL or path: usable as --checkpoint NAME (the file name, with or without extension).
      const others = otherDownloads(new Set(known.map((m) => m.file)), modelsDir());
      if (o.json) {
        const rows = [
          ...known.map((m) => ({
            name: m.name,
            file: m.file,
            path: m.path,
            url: m.url,
            bytes: m.bytes ?? null,
            downloaded: m.cached,
            default: m.isDefault,
          })),
          ...others.map((f) => ({ name: f.file, file: f.file, path: f.path, url: null, bytes: f.bytes, downloaded: true, default: false })),
        ];
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const m of known) {
        const size = m.bytes ? formatBytes(m.bytes) : '?';
        const state = m.cached ? `downloaded: ${m.path}` : `not downloaded (goes to ${m.path})`;
        process.stdout.write(`${m.isDefault ? '*' : ' '} ${m.name.padEnd(12)} ${size.padStart(10)}  ${state}\n`);
      }
      for (const f of others) {
        process.stdout.write(`  ${f.file.padEnd(12)} ${formatBytes(f.bytes).padStart(10)}  downloaded: ${f.path}\n`);
      }
    });
  return models;
}
