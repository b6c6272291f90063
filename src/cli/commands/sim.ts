/**
 * `lockgw sim <verb>` and `lockgw lockdown on|off`: requests to the running daemon's control
 * socket. `sim` drives simulated devices only (a sim that reaches nothing fails); lockdown acts on
 * real doors and is answered only for an operator (docs/control-socket.md).
 */
import { Argument, type Command } from 'commander';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { CliContext } from '../cliContext.js';
import { runControlCommand } from '../controlCommand.js';
import { configOption } from './commonOptions.js';

type Values = Record<string, string | boolean | undefined>;

function control(cli: CliContext, command: 'sim' | 'lockdown', positionals: string[], o: Values & { config?: string }): Promise<void> {
  const config = cli.config(o.config);
  return runControlCommand(command, positionals, o, cli.socketPath(config), cli.out, cli.err).then((code) => {
    cli.exitCode = code;
  });
}

export function registerSim(program: Command, cli: CliContext): void {
  const sim = program
    .command('sim')
    .description('drive the simulated devices of the running daemon (refused for real ones)')
    .addHelpText('after', "\nExamples:\n  lockgw sim present --door lobby --card 26:12:34567\n  lockgw sim keys --door lobby '1234#'\n  lockgw sim fire on");
  const verb = (name: string, description: string) => configOption(sim.command(name)).description(description).option('--json', 'the answer as one JSON object');
  verb('present', "present a card to the door's simulated reader")
    .requiredOption('--door <id>', 'the door')
    .requiredOption('--card <number>', 'the card: 26:12:34567')
    .action((o: Values) => control(cli, 'sim', ['present'], o));
  verb('keys', 'type on its keypad (# submits, * clears)')
    .requiredOption('--door <id>', 'the door')
    .argument('<keys>', "the keys, quoted: '1234#'")
    .action((keys: string, o: Values) => control(cli, 'sim', ['keys', keys], o));
  verb('finger', 'touch its fingerprint reader')
    .requiredOption('--door <id>', 'the door')
    .requiredOption('--slot <n>', 'the enrolled slot')
    .option('--confidence <0..100>', "the match's confidence")
    .action((o: Values) => control(cli, 'sim', ['finger'], o));
  verb('phone', 'a phone key at its BLE reader')
    .requiredOption('--door <id>', 'the door')
    .requiredOption('--mobile <keyId>', 'the phone key id')
    .action((o: Values) => control(cli, 'sim', ['phone'], o));
  verb('door', 'move the door (its contact)')
    .requiredOption('--door <id>', 'the door')
    .addArgument(new Argument('<position>').choices(['open', 'closed']))
    .action((position: string, o: Values) => control(cli, 'sim', ['door', position], o));
  verb('rex', 'press request-to-exit')
    .requiredOption('--door <id>', 'the door')
    .action((o: Values) => control(cli, 'sim', ['rex'], o));
  verb('fire', 'the simulated fire/egress input (refused when a door is real)')
    .addArgument(new Argument('<state>').choices(['on', 'off']))
    .action((state: string, o: Values) => control(cli, 'sim', ['fire', state], o));
  // a verb that once lived here: say where it went
  sim
    .command('lockdown', { hidden: true })
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      throw new GatewayError('INPUT_INVALID', 'lockdown acts on real doors and is its own verb: lockgw lockdown on|off [--door ID]', { field: 'sim' });
    });
}

export function registerLockdown(program: Command, cli: CliContext): void {
  configOption(program.command('lockdown'))
    .description('lockdown for a door or the whole site: real doors, operators only (root, the daemon user, control.operators)')
    .addArgument(new Argument('<state>').choices(['on', 'off']))
    .option('--door <id>', 'one door (default: the whole site)')
    .option('--json', 'the answer as one JSON object')
    .addHelpText('after', '\nExamples:\n  sudo lockgw lockdown on\n  sudo lockgw lockdown off --door lobby')
    .action((state: string, o: Values) => control(cli, 'lockdown', [state], o));
}
