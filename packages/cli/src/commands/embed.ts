/** `tsam embed`: run only the image encoder; writes DIR/embedding.npy (1×256×64×64) and embedding.json. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { writeNpy } from '@tsam/core';
import { assertFinite } from '../prompt-args.js';
import { withOutputs } from '../out-dir.js';
import { addModelOptions, checkModel, openModel, type ModelOpts } from './model-options.js';

interface EmbedOpts extends ModelOpts {
  image: string;
  out: string;
}

export function embedCommand(): Command {
  const cmd = new Command('embed')
    .description('compute the image embedding once, to prompt it later (e.g. in the browser)')
    .requiredOption('--image <path>', 'input image')
    .requiredOption('--out <dir>', 'output directory');
  addModelOptions(cmd);
  return cmd.action(async (opts: EmbedOpts) => {
    const { loadImage } = await import('@tsam/node'); // sharp and onnxruntime load only when the command runs
    const { writeFileAtomic } = await import('@tsam/dataset');
    const image = await loadImage(opts.image);
    await checkModel(opts);
    await withOutputs({ dirs: [[opts.out, '--out']] }, async () => {
      const sam = await openModel(opts);
      const emb = await sam.predictor.setImage(image);
      assertFinite('embedding value', emb.data);
      mkdirSync(opts.out, { recursive: true });
      await writeFileAtomic(join(opts.out, 'embedding.npy'), writeNpy(emb.data, emb.dims));
      const meta = { width: emb.width, height: emb.height, dims: emb.dims, model: sam.manifest.checkpoint };
      await writeFileAtomic(join(opts.out, 'embedding.json'), `${JSON.stringify(meta, null, 2)}\n`);
      process.stderr.write(`embedding [${emb.dims.join(', ')}] of ${emb.width}×${emb.height} image → ${opts.out}\n`);
    });
  });
}
