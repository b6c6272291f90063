/**
 * `lockgw doorcode`: what-if — would this offline doorcode (docs/offline-doorcodes.md) open this
 * door now (or --at), and if not, why? The keypad's decision without its effects: not journaled,
 * a single-use code is not used up. For support: "the guest says the code does not work".
 */
import type { Command } from 'commander';
import { GatewayError } from '../../kernel/gatewayError.js';
import { EXIT, type CliContext } from '../cliContext.js';
import { parseInstant } from '../parseInstant.js';
import { configOption } from './commonOptions.js';

interface DoorcodeOptions {
  config?: string;
  door: string;
  at?: string;
  json?: boolean;
}

export function registerDoorcode(program: Command, cli: CliContext): void {
  configOption(program.command('doorcode'))
    .description('would this offline doorcode open this door now (or --at)? a what-if: not journaled, uses up nothing; exit 0 granted, 3 denied')
    .argument('<code>', 'the digits, as typed (without #)')
    .requiredOption('--door <id>', 'the door')
    .option('--at <date-time>', "an instant in the site's zone: 2026-12-25T09:00 (or with an offset)")
    .option('--json', 'one JSON object')
    .addHelpText('after', '\nExamples:\n  lockgw doorcode --door lobby 2920303855\n  lockgw doorcode --door gym 3461347452 --at 2027-03-15T09:00')
    .action((code: string, o: DoorcodeOptions) =>
      cli.withGateway(o.config, (g) => {
        const length = g.config.offlineCodes.length;
        if (!g.config.offlineCodes.enabled) throw new GatewayError('INPUT_INVALID', 'this gateway takes no offline doorcodes (offlineCodes.enabled is false)', { field: 'offlineCodes.enabled' });
        if (!/^\d+$/.test(code) || code.length !== length) throw new GatewayError('INPUT_INVALID', `a doorcode here is ${length} digits (offlineCodes.length)`, { field: 'code' });
        const now = o.at === undefined ? Date.now() : parseInstant(o.at, g.index.timeZone);
        const v = g.engine.checkOfflineCode(o.door, code, now);
        if (v === null) throw new GatewayError('UNAVAILABLE', 'offline doorcodes are off: the site secret cannot be read (see the log line above)', { field: 'offlineCodes.secretFile' });
        const c = v.offlineCode;
        if (o.json) {
          cli.out(JSON.stringify({ grant: v.grant, reason: v.reason, doorId: v.doorId, at: new Date(now).toISOString(), ...(c ? { offlineCode: c } : {}) }));
        } else {
          const local = new Date(now).toLocaleString('sv-SE', { timeZone: g.index.timeZone });
          cli.out(`${v.grant ? 'GRANTED' : 'DENIED'}  ${v.reason}`);
          cli.out(`  door ${o.door} at ${local} ${g.index.timeZone}`);
          if (c) cli.out(`  code ${c.id}: ${c.scope}, ${c.type}${c.singleUse ? ', single use' : ''}, ${c.from} to ${c.until} (site time)`);
        }
        cli.exitCode = v.grant ? EXIT.ok : EXIT.refused;
      }),
    );
}
