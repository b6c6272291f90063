/** `lockgw fingerprint enroll|delete --door D --slot N`: the door's R30x sensor (operators), with progress lines. */
import { Argument, type Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { runStreamVerb } from '../streamVerb.js';
import { streamLineText } from '../streamLines.js';
import { configOption, wholeNumber } from './commonOptions.js';

export function registerFingerprint(program: Command, cli: CliContext): void {
  configOption(program.command('fingerprint'))
    .description("enrol a finger at a slot of the door's R30x sensor, or delete the slot (operators)")
    .addArgument(new Argument('<action>').choices(['enroll', 'delete']))
    .requiredOption('--door <id>', 'the door')
    .requiredOption('--slot <n>', 'the slot in the sensor library (0..capacity-1)', wholeNumber())
    .option('--json', 'one JSON object per line')
    .addHelpText('after', '\nExamples:\n  sudo lockgw fingerprint enroll --door lobby --slot 7\n  sudo lockgw fingerprint delete --door lobby --slot 7')
    .action(async (action: 'enroll' | 'delete', o: { config?: string; door: string; slot: number; json?: boolean }) => {
      const config = cli.config(o.config);
      cli.exitCode = await runStreamVerb(
        { request: { command: 'fingerprint', action, door: o.door, slot: o.slot }, prove: true, json: o.json === true, format: streamLineText },
        cli.socketPath(config), cli.out, cli.err,
      );
    });
}
