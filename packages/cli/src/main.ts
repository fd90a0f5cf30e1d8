/** The `tsam` command: a thin layer over @tsam/node. */
import { Command, Help, type Option } from 'commander';
import { amgCommand } from './commands/amg.js';
import { datasetCommand } from './commands/dataset.js';
import { embedCommand } from './commands/embed.js';
import { exportCommand } from './commands/export.js';
import { modelsCommand } from './commands/models.js';
import { predictCommand } from './commands/predict.js';
import { segmentCommand } from './commands/segment.js';
import { serveCommand } from './commands/serve.js';
import { trainCommand } from './commands/train.js';
import { installInterruptHandler } from './interrupt.js';

/** Every command's help says which options are required (commander only says so on error). */
function markRequired(cmd: Command): Command {
  cmd.configureHelp({
    optionDescription(this: Help, option: Option): string {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `${text} (required)` : text;
    },
  });
  for (const sub of cmd.commands) markRequired(sub);
  return cmd;
}

export function buildProgram(): Command {
  const program = new Command('tsam')
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
    .addCommand(serveCommand())
    .addCommand(trainCommand());
  return markRequired(program);
}

export async function main(argv: string[]): Promise<void> {
  installInterruptHandler();
  await buildProgram().parseAsync(argv);
}
