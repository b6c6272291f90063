/**
 * `lockgw phone-sim <verb>`: a phone with a phone key, for installers, the README and the tests.
 *   keygen --key FILE [--algorithm ES256|Ed25519] [--credential ID] [--force]
 *   scan   --adapter A [--timeout S]
 *   open   (--key FILE | --demo) --door ID --adapter A [--credential ID] [--address GW] [--document FILE] [--timeout S]
 *   radio  [--dir DIR] [--hosts gateway,phone,...]   (phoneSimRadio.ts)
 * Exit: 0 done (open: granted), 3 denied, 2 error (one line on stderr).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { PHONE_KEY_MESSAGE_UUID, PHONE_KEY_SERVICE_UUID, type PhoneKeyAlgorithm } from '../../../src/hal/ble/phoneKey/protocol.js';
import { SystemClock, type Clock } from '../../../src/kernel/clock.js';
import { GatewayError, isGatewayError } from '../../../src/kernel/gatewayError.js';
import { DEMO_PHONE_CREDENTIAL, DEMO_PHONE_PRIVATE_KEY_PKCS8 } from '../demoPhoneKey.js';
import { runPhoneKeyExchange } from '../phoneKeyClient.js';
import { loadKeyFile, PhoneKeyPair, saveKeyFile } from '../phoneKeyPair.js';
import { openPhoneRadio, parseAdapter, scanGateways, type PhoneRadio } from './phoneSimAdapter.js';
import { DEFAULT_RADIO_DIR, parseHosts, runRadio } from './phoneSimRadio.js';

export const PHONE_SIM_USAGE = `usage: lockgw phone-sim <verb> [options]
  keygen --key FILE [--algorithm ES256|Ed25519] [--credential ID] [--force]
         make a phone key pair (mode 0600); prints the public key for the credential's publicKey
  scan   --adapter A [--timeout SECONDS]
         gateways in range that serve phone keys, with their signal strength
  open   (--key FILE | --demo) --door ID --adapter A [--credential ID] [--address GATEWAY]
         [--document FILE] [--timeout SECONDS]
         connect to a gateway and ask it to open a door; --demo is the demo site's erin-phone
  radio  [--dir DIR] [--hosts NAME,NAME,...]
         a virtual BLE radio (no hardware): one UART per host, DIR/NAME (default
         ${DEFAULT_RADIO_DIR}, hosts gateway,phone), until Ctrl-C
adapter: hci0 (a Bluetooth adapter) or a UART path (a controller on a serial port, or the
         phone UART of \`lockgw phone-sim radio\`)
exit: 0 done (open: granted), 3 denied, 2 error`;

const OPTIONS = {
  key: { type: 'string' },
  algorithm: { type: 'string' },
  credential: { type: 'string' },
  force: { type: 'boolean' },
  adapter: { type: 'string' },
  timeout: { type: 'string' },
  door: { type: 'string' },
  demo: { type: 'boolean' },
  address: { type: 'string' },
  document: { type: 'string' },
  json: { type: 'boolean' },
  dir: { type: 'string' },
  hosts: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export interface PhoneSimIo {
  out(line: string): void;
  err(line: string): void;
  clock: Clock;
  logger: Logger;
  /** `radio` runs until this aborts; default SIGINT or SIGTERM */
  signal?: AbortSignal;
}

function seconds(values: Values, fallback: number): number {
  if (values.timeout === undefined) return fallback * 1000;
  const n = Number(values.timeout);
  if (!Number.isFinite(n) || n <= 0 || n > 300) throw new GatewayError('INPUT_INVALID', `--timeout "${values.timeout}" is not a number of seconds between 0 and 300`, { field: 'timeout' });
  return n * 1000;
}

function need(values: Values, name: 'key' | 'door', verb: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new GatewayError('INPUT_INVALID', `${verb} needs --${name}`, { field: name });
  return v;
}

async function keygen(values: Values, io: PhoneSimIo): Promise<number> {
  const path = need(values, 'key', 'keygen');
  const algorithm = (values.algorithm ?? 'ES256') as PhoneKeyAlgorithm;
  if (algorithm !== 'ES256' && algorithm !== 'Ed25519') throw new GatewayError('INPUT_INVALID', `--algorithm "${values.algorithm}": ES256 (P-256) or Ed25519`, { field: 'algorithm' });
  const pair = PhoneKeyPair.generate(algorithm);
  await saveKeyFile(path, pair, { overwrite: values.force === true, ...(values.credential ? { credentialId: values.credential } : {}) });
  if (values.json) io.out(JSON.stringify({ type: 'phone_key', key: path, algorithm, publicKey: pair.publicKeySpkiB64, credentialId: values.credential ?? null }));
  else {
    io.out(`phone key (${algorithm}) written to ${path} (mode 0600)`);
    io.out(`public key, for the credential's publicKey: ${pair.publicKeySpkiB64}`);
  }
  return 0;
}

async function withRadio<T>(values: Values, io: PhoneSimIo, work: (radio: PhoneRadio) => Promise<T>): Promise<T> {
  const radio = await openPhoneRadio(parseAdapter(values.adapter), io.clock, io.logger);
  try {
    return await work(radio);
  } finally {
    await radio.adapter.stop();
  }
}

async function scan(values: Values, io: PhoneSimIo): Promise<number> {
  const timeoutMs = seconds(values, 5);
  return withRadio(values, io, async (radio) => {
    const found = await radio.central.scan({ serviceUuid: PHONE_KEY_SERVICE_UUID, timeoutMs });
    for (const g of found) io.out(values.json ? JSON.stringify({ type: 'gateway', ...g, manufacturerData: g.manufacturerData ? Buffer.from(g.manufacturerData).toString('hex') : null }) : `${g.address}  ${String(g.rssi).padStart(4)} dBm  ${g.name ?? '(no name)'}`);
    if (!values.json) io.out(`${found.length} gateway${found.length === 1 ? '' : 's'} serving phone keys`);
    return 0;
  });
}

async function open(values: Values, io: PhoneSimIo): Promise<number> {
  const doorId = need(values, 'door', 'open');
  const timeoutMs = seconds(values, 10);
  let key: PhoneKeyPair;
  let credentialId = values.credential;
  if (values.demo) {
    if (values.key) throw new GatewayError('INPUT_INVALID', 'open takes --key FILE or --demo, not both', { field: 'demo' });
    key = PhoneKeyPair.fromPkcs8(DEMO_PHONE_PRIVATE_KEY_PKCS8);
    credentialId ??= DEMO_PHONE_CREDENTIAL;
  } else {
    const loaded = await loadKeyFile(need(values, 'key', 'open'));
    key = loaded.pair;
    credentialId ??= loaded.credentialId;
  }
  if (credentialId === undefined) throw new GatewayError('INPUT_INVALID', 'open needs --credential (the key file names none)', { field: 'credential' });
  const document = values.document === undefined ? undefined : new TextEncoder().encode((await readFile(values.document, 'utf8')).trim());
  return withRadio(values, io, async (radio) => {
    const [gateway] = await scanGateways(radio, timeoutMs, values.address);
    if (gateway === undefined) throw new GatewayError('NOT_FOUND', `no gateway serving phone keys${values.address ? ` at ${values.address}` : ''} in range within ${timeoutMs / 1000} s`, { hint: 'is the gateway running with ble.phoneKeys configured?' });
    const link = await radio.central.connect(gateway.address, { serviceUuid: PHONE_KEY_SERVICE_UUID, characteristics: [PHONE_KEY_MESSAGE_UUID], timeoutMs });
    const result = await runPhoneKeyExchange({ link, clock: io.clock, key, credentialId: credentialId!, doorId, document, timeoutMs });
    if (values.json) io.out(JSON.stringify({ type: 'result', gateway: gateway.address, doorId, credentialId, ...result, challenge: undefined }));
    else io.out(`${doorId} at ${gateway.address}: ${result.granted ? 'GRANTED' : 'DENIED'} ${result.reason}${result.unlockMs ? ` (open for ${result.unlockMs / 1000} s)` : ''}`);
    return result.granted ? 0 : 3;
  });
}

function untilSignal(): { signal: AbortSignal; release(): void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return { signal: ac.signal, release: () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); } };
}

async function radio(values: Values, io: PhoneSimIo): Promise<number> {
  const hosts = parseHosts(values.hosts);
  const dir = values.dir ?? DEFAULT_RADIO_DIR;
  if (io.signal) return runRadio({ dir, hosts, out: io.out, until: io.signal });
  const signals = untilSignal();
  try {
    return await runRadio({ dir, hosts, out: io.out, until: signals.signal });
  } finally {
    signals.release();
  }
}

/** Runs one phone-sim verb; returns the exit code. Never throws. */
export async function runPhoneSim(argv: string[], given: Partial<PhoneSimIo> = {}): Promise<number> {
  const io: PhoneSimIo = {
    out: given.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: given.err ?? ((line) => process.stderr.write(`${line}\n`)),
    clock: given.clock ?? new SystemClock(),
    logger: given.logger ?? pino({ level: 'error', base: null }, pino.destination(2)),
    ...(given.signal ? { signal: given.signal } : {}),
  };
  try {
    const [verb, ...rest] = argv;
    const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
    if (verb === undefined || verb === 'help' || verb === '--help' || verb === '-h' || values.help) {
      io.out(PHONE_SIM_USAGE);
      return verb === undefined ? 2 : 0;
    }
    if (positionals.length > 0) throw new GatewayError('INPUT_INVALID', `${verb}: unexpected "${positionals.join(' ')}"`);
    switch (verb) {
      case 'keygen': return await keygen(values, io);
      case 'scan': return await scan(values, io);
      case 'open': return await open(values, io);
      case 'radio': return await radio(values, io);
      default: throw new GatewayError('INPUT_INVALID', `unknown verb "${verb}": keygen, scan, open or radio`);
    }
  } catch (err) {
    if (isGatewayError(err)) io.err(`lockgw phone-sim: ${err.message}${err.details.hint ? ` (${err.details.hint})` : ''}`);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) io.err(`lockgw phone-sim: ${(err as Error).message} (see lockgw phone-sim --help)`);
    else io.err(`lockgw phone-sim: ${(err as Error).message}`);
    return 2;
  }
}
