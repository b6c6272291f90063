/** `lockgw ble scan|pair|unpair`: the installer's BLE lock steps (bleCommand.ts), on the configured lock radio. */
import { Argument, type Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { configOption } from './commonOptions.js';

export function registerBle(program: Command, cli: CliContext): void {
  configOption(program.command('ble'))
    .description("BLE locks: scan (devices in range), pair --door ID (a lock in pairing mode), unpair --door ID; stop the daemon first when the radio is a UART")
    .addArgument(new Argument('<verb>').choices(['scan', 'pair', 'unpair']))
    .option('--door <id>', 'the door whose lock to pair or forget')
    .option('--address <mac>', 'the lock to pair, when several are in pairing mode')
    .option('--timeout <seconds>', 'how long to scan')
    .option('--json', 'scan: one JSON array')
    .addHelpText('after', '\nExamples:\n  lockgw ble scan --timeout 10\n  lockgw ble pair --door lobby\n  (restart the daemon after pairing)')
    .action(async (verb: string, o: { config?: string; door?: string; address?: string; timeout?: string; json?: boolean }) => {
      const { runBle } = await import('../bleCommand.js');
      cli.exitCode = await runBle(verb, cli.config(o.config), { door: o.door, address: o.address, timeout: o.timeout, json: o.json }, cli.out);
    });
}
