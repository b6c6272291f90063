/**
 * `lockgw door test --door D [--watch S] [--force]`: commissioning a door (an operator's verb):
 * pulse the strike, show each indicator pattern, every device's health, the inputs live. Exits 1
 * when a device of the door (or the fire input) is offline.
 */
import type { Command } from 'commander';
import { MAX_STREAM_MS, type StreamLine } from '../../wire/controlProtocol.js';
import { EXIT, type CliContext } from '../cliContext.js';
import { runStreamVerb } from '../streamVerb.js';
import { streamLineText } from '../streamLines.js';
import { configOption, duration } from './commonOptions.js';

function offlineDevices(lines: readonly StreamLine[]): string[] {
  return lines.flatMap((l) => (l.ok && l.stream === 'health' && l.health.state === 'offline' ? [l.device] : []));
}

export function registerDoor(program: Command, cli: CliContext): void {
  const door = program.command('door').description('commissioning a door');
  configOption(door.command('test'))
    .description('pulse the strike, show each LED/buzzer pattern, report every device, read contact / REX / fire live (operators)')
    .requiredOption('--door <id>', 'the door')
    .option('--watch <duration>', 'read the inputs live this long after the test (e.g. 30s, at most 10m)', duration(MAX_STREAM_MS))
    .option('--force', 'pulse even though the door is locked down')
    .option('--json', 'one JSON object per line')
    .addHelpText('after', '\nExamples:\n  sudo lockgw door test --door lobby\n  sudo lockgw door test --door lobby --watch 30s')
    .action(async (o: { config?: string; door: string; watch?: number; force?: boolean; json?: boolean }) => {
      const config = cli.config(o.config);
      cli.exitCode = await runStreamVerb(
        {
          request: { command: 'doorTest', door: o.door, force: o.force === true, watchMs: o.watch ?? 0 },
          prove: true,
          json: o.json === true,
          format: streamLineText,
          verdict: (lines) => {
            const offline = offlineDevices(lines);
            if (offline.length === 0) return EXIT.ok;
            if (!o.json) cli.err(`lockgw: offline: ${offline.join(', ')}`);
            return EXIT.error;
          },
        },
        cli.socketPath(config), cli.out, cli.err,
      );
    });
}
