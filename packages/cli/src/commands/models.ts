/** `tsam models pull|list`: the official checkpoints in the local cache. */
import { Command } from 'commander';
import { describePullResult, formatBytes, listModels, progressBarReporter, pullModel } from '@tsam/node';

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
      for (const m of listModels()) {
        const size = m.bytes ? formatBytes(m.bytes) : '?';
        process.stdout.write(`${m.isDefault ? '*' : ' '} ${m.name.padEnd(12)} ${size.padStart(10)}  ${m.cached ? `downloaded: ${m.path}` : 'not downloaded'}\n`);
      }
    });
  return models;
}
