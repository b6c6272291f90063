/**
 * `lockgw learn --door D [--for 60s]`: learn mode at a door (an operator's verb). The next unknown
 * card or keypad code there is denied as usual and printed here, with the command that enrols it.
 */
import type { Command } from 'commander';
import { DEFAULT_LEARN_MS, MAX_STREAM_MS } from '../../wire/controlProtocol.js';
import type { CliContext } from '../cliContext.js';
import { runStreamVerb } from '../streamVerb.js';
import { streamLineText } from '../streamLines.js';
import { configOption, duration } from './commonOptions.js';

export function registerLearn(program: Command, cli: CliContext): void {
  configOption(program.command('learn'))
    .description("learn mode at a door (operators): the next unknown card or keypad code is denied as usual and shown here only, to enrol it")
    .requiredOption('--door <id>', 'the door')
    .option('--for <duration>', 'how long to wait (at most 10m)', duration(MAX_STREAM_MS), DEFAULT_LEARN_MS)
    .option('--json', 'one JSON object per line')
    .addHelpText('after', '\nExamples:\n  sudo lockgw learn --door lobby\n  sudo lockgw learn --door lobby --for 5m')
    .action(async (o: { config?: string; door: string; for: number; json?: boolean }) => {
      const config = cli.config(o.config);
      cli.exitCode = await runStreamVerb(
        { request: { command: 'learn', door: o.door, forMs: o.for }, prove: true, json: o.json === true, format: streamLineText },
        cli.socketPath(config), cli.out, cli.err,
      );
    });
}
