/**
 * `lockgw pin-policy show|set`: the site's PIN policy for local allocation (docs/standalone.md,
 * "Allocation"): the lengths a PIN issued here may have, and the code-space rule (at most one PIN
 * per 1,000 possible codes) warned about or refused. `show` says the PINs issued against the limit.
 */
import type { Command } from 'commander';
import { CODE_SPACE_MODES } from '../../access/pinPolicy.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { PinPolicyView } from '../../app/admin/pinPolicyVerbs.js';
import type { CliContext } from '../cliContext.js';
import { runAdmin, type AdminCliOptions } from '../adminClient.js';
import { adminOptions } from './adminOptions.js';
import { wholeNumber } from './commonOptions.js';

interface SetOptions extends AdminCliOptions {
  length?: string;
  minLength?: number;
  maxLength?: number;
  codeSpace?: string;
}

function describe(data: unknown): string[] {
  const v = data as PinPolicyView;
  const p = v.policy;
  return [
    `lengths      ${p.minLength === p.maxLength ? `${p.minLength} digits` : `${p.minLength} to ${p.maxLength} digits`}${v.changedAt === null ? ' (the default: never set)' : ''}`,
    `code space   ${v.codeSpace.toLocaleString('en')} codes of ${p.minLength} digits → at most ${v.limit.toLocaleString('en')} PINs (IEC 60839-11-1: one per 1,000)`,
    `over limit   ${p.codeSpace === 'refuse' ? 'refuse: a local change that adds a PIN past the limit fails' : 'warn: said by the verb and journaled'}`,
    `issued       ${v.issued.toLocaleString('en')} of ${v.limit.toLocaleString('en')}${v.issued > v.limit ? ' — OVER THE LIMIT' : ''} (every PIN at the site counts, the cloud's too; the policy never refuses the cloud's)`,
    ...(v.changedAt !== null ? [`set          ${new Date(v.changedAt).toISOString()} by uid ${v.changedBy ?? '?'}`] : []),
  ];
}

/** `6` or `4-6`: the --length option. */
function lengths(text: string): { minLength: number; maxLength: number } {
  const m = /^(\d)(?:-(\d))?$/.exec(text);
  if (!m) throw new GatewayError('INPUT_INVALID', `--length takes N or MIN-MAX (6, 4-6), not "${text}"`, { field: 'length' });
  return { minLength: Number(m[1]), maxLength: Number(m[2] ?? m[1]) };
}

export function registerPinPolicy(program: Command, cli: CliContext): void {
  const policy = program
    .command('pin-policy')
    .description("the site's PIN policy for PINs issued here: lengths and the code-space rule")
    .addHelpText('after', '\nExamples:\n  lockgw pin-policy show\n  lockgw pin-policy set --length 6 --code-space refuse');
  adminOptions(policy.command('show'), ['lockgw pin-policy show --json'], false)
    .description('the policy in force and the PINs issued against its limit')
    .action((o: AdminCliOptions) => runAdmin(cli, o, { verb: 'pin-policy.show' }, describe));
  adminOptions(policy.command('set'), ['lockgw pin-policy set --length 6 --code-space refuse', 'lockgw pin-policy set --length 4-6'])
    .description('change the policy: the fields given replace those in force (owner, manager)')
    .option('--length <n|min-max>', 'the lengths a PIN issued here has: 6, or 4-6 (within 4 to 8)')
    .option('--min-length <n>', 'the shortest PIN (4 to 8)', wholeNumber(0))
    .option('--max-length <n>', 'the longest PIN (4 to 8)', wholeNumber(0))
    .option('--code-space <mode>', `past the limit of one PIN per 1,000 codes: ${CODE_SPACE_MODES.join(' or ')}`)
    .action(async (o: SetOptions) => {
      const range = o.length !== undefined ? lengths(o.length) : {};
      if (o.length !== undefined && (o.minLength !== undefined || o.maxLength !== undefined)) throw new GatewayError('INPUT_INVALID', 'give --length or --min-length/--max-length, not both', { field: 'length' });
      if (o.length === undefined && o.minLength === undefined && o.maxLength === undefined && o.codeSpace === undefined) throw new GatewayError('INPUT_INVALID', 'pin-policy set needs --length, --min-length, --max-length or --code-space', { field: 'length' });
      return runAdmin(cli, o, {
        verb: 'pin-policy.set', ...range,
        ...(o.minLength !== undefined ? { minLength: o.minLength } : {}), ...(o.maxLength !== undefined ? { maxLength: o.maxLength } : {}), ...(o.codeSpace !== undefined ? { codeSpace: o.codeSpace } : {}),
      });
    });
}
