/** `lockgw decide`: what-if — would this credential open this door (now, or --at)? Not journaled, counts no use. */
import type { Command } from 'commander';
import { decide } from '../../access/decide.js';
import type { Presentation } from '../../access/verdict.js';
import { parseCardNumber } from '../../kernel/cardNumber.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { EXIT, type CliContext } from '../cliContext.js';
import { parseInstant } from '../parseInstant.js';
import { configOption } from './commonOptions.js';

interface DecideOptions {
  config?: string;
  door?: string;
  card?: string;
  pin?: string;
  fingerprint?: string;
  mobile?: string;
  at?: string;
  json?: boolean;
}

function presentationFrom(values: DecideOptions, hashPin: (pin: string) => string): Presentation {
  const doorId = values.door;
  if (doorId === undefined) throw new GatewayError('INPUT_INVALID', 'decide needs --door ID', { field: 'door' });
  const pinOk = (pin: string) => {
    if (!/^\d{4,8}$/.test(pin)) throw new GatewayError('INPUT_INVALID', '--pin must be 4 to 8 digits', { field: 'pin' });
    return hashPin(pin);
  };
  const given = (['card', 'fingerprint', 'mobile'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new GatewayError('INPUT_INVALID', `give one credential, not ${given.map((g) => `--${g}`).join(' and ')}`, { field: given[1]! });
  if (values.card !== undefined) {
    const card = parseCardNumber(values.card);
    if (!card.ok) throw new GatewayError('INPUT_INVALID', `--card: ${card.reason}`, { field: 'card' });
    return { doorId, kind: 'card', value: card.value, ...(values.pin !== undefined ? { pinDigest: pinOk(values.pin) } : {}) };
  }
  if (values.fingerprint !== undefined) return { doorId, kind: 'fingerprint', value: values.fingerprint };
  if (values.mobile !== undefined) return { doorId, kind: 'mobile', value: values.mobile };
  if (values.pin !== undefined) return { doorId, kind: 'pin', value: pinOk(values.pin) };
  throw new GatewayError('INPUT_INVALID', 'decide needs a credential: --card, --pin, --fingerprint or --mobile', { field: 'card' });
}

export function registerDecide(program: Command, cli: CliContext): void {
  configOption(program.command('decide'))
    .description('would this credential open this door now (or --at)? a what-if: not journaled, counts no use; exit 0 granted, 3 denied')
    .requiredOption('--door <id>', 'the door')
    .option('--card <number>', 'a card: 26:12:34567, or its raw form')
    .option('--pin <digits>', 'a PIN (with --card at a card+PIN door)')
    .option('--fingerprint <reader:slot>', 'a finger: lobby-fp:3')
    .option('--mobile <keyId>', 'a phone key id')
    .option('--at <date-time>', "an instant in the site's zone: 2026-12-25T09:00 (or with an offset)")
    .option('--json', 'one JSON object')
    .addHelpText('after', '\nExamples:\n  lockgw decide --door lobby --card 26:12:34567\n  lockgw decide --door lobby --pin 1234 --at 2026-12-25T09:00')
    .action((o: DecideOptions) =>
      cli.withGateway(o.config, (g) => {
        const presentation = presentationFrom(o, (pin) => g.hashPin(pin));
        const now = o.at === undefined ? Date.now() : parseInstant(o.at, g.index.timeZone);
        const v = decide(g.index, presentation, now);
        if (o.json) {
          cli.out(JSON.stringify({ ...v, at: new Date(now).toISOString() }));
        } else {
          const local = new Date(now).toLocaleString('sv-SE', { timeZone: g.index.timeZone });
          cli.out(`${v.grant ? 'GRANTED' : 'DENIED'}  ${v.reason}${v.alarm ? '  (silent duress alarm)' : ''}`);
          cli.out(`  door ${presentation.doorId} at ${local} ${g.index.timeZone}`);
          if (v.personId) cli.out(`  person ${v.personId}${v.credentialId ? `, credential ${v.credentialId}` : ''}`);
          if (v.keyId) cli.out(`  key ${v.keyId}`);
          cli.out(`  rules revision ${v.revision}, hash ${g.index.hash.slice(0, 12)}`);
        }
        cli.exitCode = v.grant ? EXIT.ok : EXIT.refused;
      }),
    );
}
