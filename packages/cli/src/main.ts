/** The `tsam` command: a thin layer over @tsam/node. */
import { Command } from 'commander';
import { amgCommand } from './commands/amg.js';
import { datasetCommand } from './commands/dataset.js';
import { embedCommand } from './commands/embed.js';
import { exportCommand } from './commands/export.js';
import { modelsCommand } from './commands/models.js';
import { predictCommand } from './commands/predict.js';
import { segmentCommand } from './commands/segment.js';
import { serveCommand } from './commands/serve.js';

export function buildProgram(): Command {
  return new Command('tsam')
    .description('Segment Anything in TypeScript: export, embed, predict, manage models')
    .version('0.1.0')
    .showHelpAfterError()
    .addCommand(predictCommand())
    .addCommand(amgCommand())
    .addCommand(segmentCommand())
    .addCommand(embedCommand())
    .addCommand(exportCommand())
    .addCommand(modelsCommand())
    .addCommand(datasetCommand())
    .addCommand(serveCommand());
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
