/**
 * What every `lockgw cloud-sim` verb shares: the usage text, the options, reading them (errors
 * name the option), the injected I/O, and opening the state and the simulator.
 */
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import type { Clock } from '../../../src/kernel/clock.js';
import { CloudSimulator, type CloudSimulatorOptions } from '../cloudSimulator.js';
import type { SimSigningKey } from '../simSigningKey.js';
import { SimState } from '../simState.js';
import { GatewayError } from '../../../src/kernel/gatewayError.js';
import type { SimOutput } from './cloudSimOutput.js';

export const CLOUD_SIM_USAGE = `usage: lockgw cloud-sim <verb> --state DIR [options]
  keygen  --state DIR [--kid ID] [--force]
          create the simulator's signing key; prints the public key for the gateway's cloud.keys
  info    --state DIR
          the key, and the newest version the simulator issued
  publish --state DIR --gateway ID --url mqtt://HOST:PORT --site FILE [--users CSV]
          [--chunk-ops N] [--snapshot] [--timeout SECONDS]
          first a snapshot, then a delta of what changed in the files (a snapshot when it is
          too big, or with --snapshot); waits for the gateway's apply_ack (--timeout 0: not)
  serve   --state DIR --gateway ID --url mqtt://HOST:PORT [--heartbeat SECONDS]
          stay connected: answer sync requests, acknowledge and print events, send heartbeats
  command --state DIR --gateway ID --url mqtt://HOST:PORT [--timeout SECONDS]
          unlock --door ID --seconds N | lockdown on|off [--door ID] | resync | status
  clear-door --state DIR --gateway ID --url mqtt://HOST:PORT --door ID
          forget a door the gateway no longer has (clears its retained door_status)
  document --state DIR --gateway ID --credential ID --person ID --public-key B64 --door ID[,ID]
          --valid-until DATE-TIME [--valid-from DATE-TIME] [--schedule ID[,ID]] [--revision N] [--out FILE]
          sign an access document a phone carries (opens doors before the next sync; revision
          default: the newest published version + 1)
  doorcode --secret-file FILE (--door ID | --group NAME) --from YYYY-MM-DDTHH:MM --to YYYY-MM-DDTHH:MM
          [--type hourly|daily|multi-day] [--single-use] [--length 10] [--new-secret]
          an offline doorcode (docs/offline-doorcodes.md) for a window in the site's local time;
          no --state, no broker. The type by default: daily when both ends are at 00:00, hourly
          within 24 whole hours, otherwise multi-day (check-in to check-out)
options: --prefix lockgw (topic prefix)  --issuer lockgw-cloud-sim (the iss claim)
         --username U --password P (broker login)  --json (JSON lines)
         --plain (snapshot chunks and deltas uncompressed; by default they are gzipped)
exit: 0 done, 2 error, 3 the gateway answered a command with something else than ok`;

export const OPTIONS = {
  state: { type: 'string' },
  gateway: { type: 'string' },
  url: { type: 'string' },
  site: { type: 'string' },
  users: { type: 'string' },
  'chunk-ops': { type: 'string' },
  snapshot: { type: 'boolean' },
  timeout: { type: 'string' },
  heartbeat: { type: 'string' },
  kid: { type: 'string' },
  force: { type: 'boolean' },
  door: { type: 'string' },
  seconds: { type: 'string' },
  prefix: { type: 'string' },
  issuer: { type: 'string' },
  username: { type: 'string' },
  password: { type: 'string' },
  json: { type: 'boolean' },
  plain: { type: 'boolean' },
  credential: { type: 'string' },
  person: { type: 'string' },
  'public-key': { type: 'string' },
  'valid-from': { type: 'string' },
  'valid-until': { type: 'string' },
  schedule: { type: 'string' },
  revision: { type: 'string' },
  out: { type: 'string' },
  'secret-file': { type: 'string' },
  'new-secret': { type: 'boolean' },
  group: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  type: { type: 'string' },
  'single-use': { type: 'boolean' },
  length: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface CloudSimIo {
  out(line: string): void;
  err(line: string): void;
  /** shows a progress line; `fraction` 1 ends it */
  progress(line: string, fraction: number): void;
  clock: Clock;
  logger: Logger;
  /** ends `serve`; default: SIGINT or SIGTERM */
  signal?: AbortSignal;
}

export const DEFAULT_ISSUER = 'lockgw-cloud-sim';
const URL_PATTERN = /^mqtts?:\/\/[^\s/]+(:\d+)?\/?$/;

/** The value of a required option; INPUT_INVALID naming it when it is missing (or a bad --url). */
export function need(values: Values, name: 'state' | 'gateway' | 'url' | 'site' | 'door', verb: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') {
    const example = { state: 'DIR', gateway: 'ID', url: 'mqtt://HOST:PORT', site: 'FILE', door: 'ID' }[name];
    throw new GatewayError('INPUT_INVALID', `${verb} needs --${name} ${example}`, { field: name });
  }
  if (name === 'url' && !URL_PATTERN.test(value)) throw new GatewayError('INPUT_INVALID', `--url "${value}" must be mqtt://host[:port] or mqtts://host[:port]`, { field: 'url' });
  return value;
}

/** A numeric option within bounds, or `fallback` when absent; INPUT_INVALID naming it otherwise. */
export function number(values: Values, name: 'chunk-ops' | 'timeout' | 'heartbeat' | 'seconds', fallback: number, check: { min: number; max: number; integer?: boolean }): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < check.min || n > check.max || (check.integer && !Number.isInteger(n))) {
    throw new GatewayError('INPUT_INVALID', `--${name} "${raw}" must be ${check.integer ? 'a whole number' : 'a number'} from ${check.min} to ${check.max}`, { field: name });
  }
  return n;
}

/** Opens the simulator's state for `work` and closes it afterwards, whatever happens. */
export async function withState<T>(dir: string, io: CloudSimIo, work: (state: SimState) => Promise<T>): Promise<T> {
  const state = new SimState({ dir, clock: io.clock, logger: io.logger });
  await state.start();
  try {
    return await work(state);
  } finally {
    await state.stop();
  }
}

/** The simulator for a verb, from the common options (--url, --gateway, --issuer, --prefix, login). */
export function simulator(values: Values, verb: string, key: SimSigningKey, state: SimState, io: CloudSimIo, extra: Partial<CloudSimulatorOptions> = {}): CloudSimulator {
  return new CloudSimulator({
    url: need(values, 'url', verb),
    gatewayId: need(values, 'gateway', verb),
    issuer: values.issuer ?? DEFAULT_ISSUER,
    key,
    state,
    clock: io.clock,
    logger: io.logger,
    ...(values.prefix === undefined ? {} : { topicPrefix: values.prefix }),
    ...(values.username === undefined ? {} : { username: values.username }),
    ...(values.password === undefined ? {} : { password: values.password }),
    ...(values.plain === true ? { compress: false } : {}),
    ...extra,
  });
}

export function output(values: Values, io: CloudSimIo, state: SimState): SimOutput {
  return { out: io.out, err: io.err, json: values.json === true, timeZone: state.store.site()?.timeZone ?? 'UTC' };
}
