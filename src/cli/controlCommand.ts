/**
 * The verbs that talk to a running daemon over its control socket: `status`, `sim ...` (the
 * simulated devices) and `lockdown on|off [--door ID]` (real doors: the caller proves its uid
 * first). Exit codes: 0 done, 1 error (no daemon, a device delivered nothing), 2 usage (bad
 * arguments, an unknown door), 3 refused (not authorised, or not a simulated device).
 */
import { GatewayError, isGatewayError } from '../kernel/gatewayError.js';
import type { ControlRequest, ControlResponse } from '../wire/controlProtocol.js';
import { EXIT, exitCodeFor, type Out } from './cliContext.js';
import { ControlSession, proveCaller } from './controlClient.js';
import { formatDoorStatus, formatEvent } from './reports.js';
import { trustLines } from './trustReport.js';
import type { ClockStatus, LeaseStatus } from '../engine/offlineTrust.js';

type Values = Record<string, string | boolean | undefined>;

function usage(message: string, field: string): never {
  throw new GatewayError('INPUT_INVALID', message, { field });
}

function simRequest(positionals: string[], values: Values): ControlRequest {
  const [what, arg] = positionals;
  const door = typeof values.door === 'string' ? values.door : undefined;
  const needDoor = (): string => door ?? usage(`sim ${what} needs --door ID`, 'door');
  switch (what) {
    case 'present':
      if (typeof values.card !== 'string') usage('sim present needs --card 26:12:34567', 'card');
      return { command: 'present', door: needDoor(), card: values.card };
    case 'keys':
      if (!arg) usage("sim keys needs the keys, e.g. '1234#'", 'keys');
      return { command: 'keys', door: needDoor(), keys: arg };
    case 'finger': {
      const slot = Number(values.slot);
      if (values.slot === undefined || !Number.isInteger(slot)) usage('sim finger needs --slot N', 'slot');
      const confidence = values.confidence === undefined ? undefined : Number(values.confidence);
      if (confidence !== undefined && !Number.isInteger(confidence)) usage('sim finger --confidence takes a whole number 0..100', 'confidence');
      return { command: 'finger', door: needDoor(), slot, ...(confidence !== undefined ? { confidence } : {}) };
    }
    case 'phone':
      if (typeof values.mobile !== 'string') usage('sim phone needs --mobile KEYID', 'mobile');
      return { command: 'phone', door: needDoor(), keyId: values.mobile };
    case 'door':
      if (arg !== 'open' && arg !== 'closed') usage('sim door takes open or closed', 'position');
      return { command: 'door', door: needDoor(), position: arg };
    case 'rex':
      return { command: 'rex', door: needDoor() };
    case 'fire':
      if (arg !== 'on' && arg !== 'off') usage('sim fire takes on or off', 'fire');
      return { command: 'fire', active: arg === 'on' };
    case 'lockdown':
      return usage('lockdown acts on real doors and is its own verb: lockgw lockdown on|off [--door ID]', 'sim');
    default:
      return usage('sim what? one of present, keys, finger, phone, door, rex, fire', 'sim');
  }
}

function print(response: Extract<ControlResponse, { ok: true }>, json: boolean, out: Out): void {
  if (json) out(JSON.stringify(response));
  const zone = response.timeZone ?? 'UTC';
  for (const d of (response.doors ?? []) as Parameters<typeof formatDoorStatus>[0][]) out(formatDoorStatus(d));
  // the status answer: the clock's trust and the offline lease (null: no cloud link)
  if ('clock' in response) for (const line of trustLines(response.clock as ClockStatus | null, response.lease as LeaseStatus | null)) out(line);
  for (const e of (response.events ?? []) as Parameters<typeof formatEvent>[0][]) out(formatEvent(e, zone));
  if (response.note) out(response.note);
}

async function exchange(command: 'status' | 'sim' | 'lockdown', positionals: string[], values: Values, socketPath: string, out: Out, err: Out): Promise<number> {
  let request: ControlRequest;
  if (command === 'status') request = { command: 'status' };
  else if (command === 'sim') request = simRequest(positionals, values);
  else {
    const [onOff] = positionals;
    if (onOff !== 'on' && onOff !== 'off') usage('lockdown takes on or off (and --door ID for one door)', 'lockdown');
    request = { command: 'lockdown', door: typeof values.door === 'string' ? values.door : null, on: onOff === 'on' };
  }
  const session = await ControlSession.open(socketPath);
  try {
    if (command === 'lockdown') {
      const proved = await proveCaller(session);
      if (!proved.ok) {
        err(`lockgw: ${proved.error}`);
        return controlExitCode(proved.code);
      }
    }
    const response = await session.request(request);
    if (!response.ok) {
      err(`lockgw: ${response.error}`);
      return controlExitCode(response.code);
    }
    print(response, values.json === true, out);
    if (command === 'sim' && !response.note && (response.events ?? []).length === 0) out('(no event)');
    return EXIT.ok;
  } finally {
    session.close();
  }
}

/** The exit code of a control socket answer: as every verb's, and UNAVAILABLE (not a simulated device) is a refusal. */
export function controlExitCode(code: string): number {
  return code === 'UNAVAILABLE' ? EXIT.refused : exitCodeFor(code);
}

/** Runs a control verb; every failure is printed on `err` and becomes an exit code (never a throw). */
export async function runControlCommand(command: 'status' | 'sim' | 'lockdown', positionals: string[], values: Values, socketPath: string, out: Out, err: Out): Promise<number> {
  try {
    return await exchange(command, positionals, values, socketPath, out, err);
  } catch (e) {
    if (!isGatewayError(e)) throw e;
    err(`lockgw: ${e.message}${e.details.hint ? `\nhint: ${e.details.hint}` : ''}`);
    return controlExitCode(e.code);
  }
}
