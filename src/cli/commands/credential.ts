/**
 * `lockgw credential add|replace|revoke`: a person's card, PIN, fingerprint slot or phone key. A
 * PIN goes to the gateway in clear and is stored only as its HMAC (docs/access-model.md).
 */
import { readSecretLine } from '../passphrase.js';
import type { Command } from 'commander';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { CliContext } from '../cliContext.js';
import { runAdmin, type AdminCliOptions } from '../adminClient.js';
import { adminOptions } from './adminOptions.js';
import { wholeNumber } from './commonOptions.js';
import { ALLOCATIONS } from '../../wire/adminProtocol.js';

interface CredentialOptions extends AdminCliOptions {
  person: string;
  card?: string;
  /** true: typed at a prompt (or the first line of stdin), never on the command line */
  pin?: string | true;
  fingerprint?: string;
  mobile?: string;
  publicKey?: string;
  from?: string;
  until?: string;
  useLimit?: number;
  duress?: boolean;
  label?: string;
  pending?: boolean;
  lost?: boolean;
  /** a PIN or card the gateway chooses (allocation random) */
  draw?: string;
  allocation?: string;
  old?: string;
}

function value(o: CredentialOptions): Record<string, unknown> {
  const given = (['card', 'pin', 'fingerprint', 'mobile'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    throw new GatewayError('INPUT_INVALID', given.length === 0 ? 'credential add needs one of --card, --pin, --fingerprint, --mobile' : `give one credential, not ${given.map((g) => `--${g}`).join(' and ')}`, { field: given[1] ?? 'card' });
  }
  if (o.card !== undefined) return { kind: 'card', card: o.card };
  if (typeof o.pin === 'string') return { kind: 'pin', pin: o.pin };
  if (o.mobile !== undefined) return { kind: 'mobile', mobileKeyId: o.mobile, ...(o.publicKey ? { publicKey: o.publicKey } : {}) };
  const f = o.fingerprint!;
  const at = f.lastIndexOf(':');
  if (at <= 0 || !/^\d+$/.test(f.slice(at + 1))) throw new GatewayError('INPUT_INVALID', `--fingerprint takes READER:SLOT (lobby-fp:3), not "${f}"`, { field: 'fingerprint' });
  return { kind: 'fingerprint', readerId: f.slice(0, at), slot: Number(f.slice(at + 1)) };
}

export function registerCredential(program: Command, cli: CliContext): void {
  const credential = program
    .command('credential')
    .description("add, replace or revoke a person's card, PIN, fingerprint or phone key")
    .addHelpText('after', '\nExamples:\n  lockgw credential add ann-card --person ann --card 26:12:34567\n  lockgw credential add ann-code --person ann --draw pin   # drawn, shown once\n  lockgw credential add ann-pin --person ann --pin      # typed at a prompt, not echoed\n  lockgw credential replace ann-card 26:12:40001\n  lockgw credential revoke ann-card --lost');
  adminOptions(credential.command('add'), ['lockgw credential add ann-card --person ann --card 26:12:34567', 'lockgw credential add ann-pin --person ann --pin      # typed at a prompt, not echoed'])
    .description('add a credential to a person')
    .argument('<id>', 'the credential id')
    .requiredOption('--person <id>', 'whose it is')
    .option('--card <number>', 'a card: 26:12:34567')
    .option('--pin [digits]', 'a PIN, 4 to 8 digits: give --pin alone to type it (not echoed) or pipe it on stdin; digits on the command line show in ps and the shell history')
    .option('--fingerprint <reader:slot>', 'an enrolled finger: lobby-fp:3')
    .option('--mobile <keyId>', 'a phone key id')
    .option('--public-key <base64>', "the phone key's public key")
    .option('--from <instant>', 'valid from: ISO 8601 with an offset')
    .option('--until <instant>', 'valid until: ISO 8601 with an offset')
    .option('--use-limit <n>', 'grants allowed (1: a one-time code)', wholeNumber(1))
    .option('--duress', 'opens and raises a silent alarm')
    .option('--label <text>', 'a label')
    .option('--pending', 'not yet accepted (a phone key invitation)')
    .option('--draw <pin|card>', 'the gateway chooses: a doorcode (shown once) or an available keycard of the stock')
    .option('--allocation <policy>', `${ALLOCATIONS.join(', ')}: with --draw random; with a --pin or --card strict (that one or a refusal) unless preferred (that one if it may be issued, else one drawn)`)
    .action(async (id: string, o: CredentialOptions) => {
      if (o.draw !== undefined && o.draw !== 'pin' && o.draw !== 'card') throw new GatewayError('INPUT_INVALID', `--draw takes pin or card, not "${o.draw}"`, { field: 'draw' });
      if (o.draw !== undefined && (['card', 'pin', 'fingerprint', 'mobile'] as const).some((k) => o[k] !== undefined)) throw new GatewayError('INPUT_INVALID', '--draw chooses the value: give no --card, --pin, --fingerprint or --mobile with it', { field: 'draw' });
      if (o.pin === true) o.pin = await readSecretLine({ label: 'PIN', confirm: true, input: process.stdin, prompt: process.stderr });
      else if (typeof o.pin === 'string') cli.err('lockgw: warning: a PIN on the command line shows in ps and the shell history; give --pin alone to type it');
      const common = {
        id, personId: o.person, status: o.pending ? 'pending' : 'active',
        ...(o.from ? { validFrom: o.from } : {}), ...(o.until ? { validUntil: o.until } : {}),
        ...(o.useLimit !== undefined ? { useLimit: o.useLimit } : {}), duress: o.duress === true, ...(o.label ? { label: o.label } : {}),
      };
      return runAdmin(cli, o, {
        verb: 'credential.add',
        ...(o.draw !== undefined ? { draw: { ...common, kind: o.draw } } : { credential: { ...common, ...value(o) } }),
        ...(o.allocation ? { allocation: o.allocation } : {}),
      });
    });
  adminOptions(credential.command('replace'), ['lockgw credential replace ann-card 26:12:40001', 'lockgw credential replace ann-card            # another available card of the stock', 'lockgw credential replace ann-pin             # a new doorcode, drawn and shown once'])
    .description('a new value of the same kind for a credential (a replacement card, a new PIN); the old one opens nothing')
    .argument('<id>', 'the credential id')
    .argument('[value]', 'the new card number, PIN digits, READER:SLOT or phone key id; none: a PIN or stock card drawn')
    .option('--allocation <policy>', `${ALLOCATIONS.join(', ')} (as for credential add)`)
    .option('--old <fate>', 'a stock card replaced: lost (default) or returned (used: back to stock with lockgw stock return)')
    .action((id: string, newValue: string | undefined, o: CredentialOptions) =>
      runAdmin(cli, o, { verb: 'credential.replace', id, ...(newValue !== undefined ? { value: newValue } : {}), ...(o.allocation ? { allocation: o.allocation } : {}), ...(o.old ? { old: o.old } : {}) }));
  adminOptions(credential.command('revoke'), ['lockgw credential revoke ann-card --lost'])
    .description('delete a credential, or --lost: keep it marked lost (a presented lost card is journaled as such)')
    .argument('<id>', 'the credential id')
    .option('--lost', 'mark it lost instead of deleting it')
    .action((id: string, o: CredentialOptions) => runAdmin(cli, o, { verb: 'credential.revoke', id, lost: o.lost === true }));
}
