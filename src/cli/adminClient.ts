/**
 * How every admin verb runs (docs/standalone.md): to the running daemon over its control socket,
 * after proving this process's uid — the daemon applies it and its doors use it at once; or, when
 * no daemon listens (commissioning), on the database itself through the same code
 * (Gateway.localAdmin): the caller is this process's uid; root and the database file's owner are
 * Owner. Prints the change, one line per operation (or one JSON object with --json), and leaves
 * the exit code: 0 done, 1 error, 2 bad input (the field is named), 3 refused (role, cloud).
 */
import { statSync } from 'node:fs';
import type { z } from 'zod';
import { join, resolve } from 'node:path';
import { GatewayError, isGatewayError, type GatewayErrorCode } from '../kernel/gatewayError.js';
import { systemAccounts } from '../control/userNames.js';
import { AdminEnvelopeSchema, type AdminEnvelope, type AdminResult } from '../wire/adminProtocol.js';
import { EXIT, exitCodeFor, type CliContext } from './cliContext.js';
import { ControlSession, proveCaller } from './controlClient.js';

export interface AdminCliOptions {
  config?: string;
  json?: boolean;
  dryRun?: boolean;
  forceLocal?: boolean;
}

/** A drawn value, on stdout once: the only place it is ever shown (AdminResult.issued). */
function issuedLines(issued: NonNullable<AdminResult['issued']>, applied: boolean): string[] {
  if (!applied) return [];
  if (issued.pin !== undefined) return [`doorcode of ${issued.credentialId}: ${issued.pin}`, 'tell it to its holder now: it is shown once and the gateway keeps only its digest'];
  return issued.card === undefined ? [] : [`keycard of ${issued.credentialId}: ${issued.card}`];
}

function print(cli: CliContext, result: AdminResult, json: boolean, describe?: (data: unknown) => string[]): void {
  if (result.warning) cli.err(`lockgw: warning: ${result.warning}`);
  if (json) return cli.out(JSON.stringify(result));
  if (describe && result.data !== undefined) for (const line of describe(result.data)) cli.out(line);
  for (const line of result.changes) cli.out(`  ${line}`);
  if (result.note) cli.out(result.note);
  if (result.issued) for (const line of issuedLines(result.issued, result.applied)) cli.out(line);
  if (result.changes.length === 0 && result.data === undefined) cli.out('no change');
  else if (result.changes.length > 0) {
    const by = `by ${result.operator.user ?? `uid ${result.operator.uid}`}, ${result.operator.role}`;
    const rules = result.verb.startsWith('operator.') ? '' : `: rules revision ${result.revision}`;
    cli.out(result.applied ? `applied${rules} (${by})` : result.dryRun ? 'dry run: nothing was applied' : 'not applied');
  }
}

/** A union's "Invalid input" says nothing: the message of the branch that came closest (an instant's format, not "expected number"). */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_union') return issue.message;
  const nested = issue.errors.flat();
  return (nested.find((i) => i.code !== 'invalid_type') ?? nested[0])?.message ?? issue.message;
}

/** The request as the daemon would read it: a bad field is INPUT_INVALID naming it, before anything is sent. */
function validated(raw: unknown): AdminEnvelope {
  const parsed = AdminEnvelopeSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.slice(1).join('.');
  throw new GatewayError('INPUT_INVALID', `${path || 'request'}: ${issueMessage(issue)}`, { field: path || 'request' });
}

/** Sends the request to the daemon; null when no daemon listens (then the CLI runs it itself). */
async function viaDaemon(socket: string, envelope: AdminEnvelope): Promise<{ ok: true; result: AdminResult } | { ok: false; code: string; error: string } | null> {
  let session: ControlSession;
  try {
    session = await ControlSession.open(socket);
  } catch (err) {
    if (isGatewayError(err, 'NOT_STARTED')) return null;
    throw err;
  }
  try {
    const proved = await proveCaller(session);
    if (!proved.ok) return proved;
    const response = await session.request({ command: 'admin', ...envelope });
    if (!response.ok) return response;
    if (!response.admin) return { ok: false, code: 'INTERNAL', error: 'the daemon answered without a result' };
    return { ok: true, result: response.admin };
  } finally {
    session.close();
  }
}

/** Runs one admin request and sets the exit code; `describe` prints what a read returns, `show` replaces the printing. */
export async function runAdmin(cli: CliContext, options: AdminCliOptions, request: Record<string, unknown>, describe?: (data: unknown) => string[], show?: (result: AdminResult) => void): Promise<void> {
  const config = cli.config(options.config);
  try {
    const envelope = validated({ request, dryRun: options.dryRun === true, forceLocal: options.forceLocal === true });
    const answer = await viaDaemon(cli.socketPath(config), envelope);
    if (answer !== null && !answer.ok) {
      cli.err(`lockgw: ${answer.error}`);
      cli.exitCode = exitCodeFor(answer.code);
      return;
    }
    const result = answer?.result ?? (await cli.withGateway(options.config, (g) => {
      const uid = process.getuid?.() ?? 0;
      const accounts = systemAccounts();
      const owner = statSync(join(resolve(config.gateway.dataDir), config.store.file)).uid;
      return g.localAdmin(new Set([0, owner]), accounts).run(envelope, { uid, user: accounts.userName(uid) });
    }));
    if (show) show(result);
    else print(cli, result, options.json === true, describe);
    cli.exitCode = EXIT.ok;
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    cli.err(`lockgw: ${err.message}${err.details.hint ? `\nhint: ${err.details.hint}` : ''}`);
    cli.exitCode = exitCodeFor(err.code satisfies GatewayErrorCode);
  }
}
