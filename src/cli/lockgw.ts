#!/usr/bin/env node
/**
 * The `lockgw` command for installers:
 *   lockgw run [--config FILE]                      the daemon (same as npm start)
 *   lockgw decide --door ID (--card N | --pin DIGITS | --fingerprint READER:SLOT | --mobile KEYID)
 *                 [--pin DIGITS with --card at card+PIN doors] [--at DATE-TIME]
 *   lockgw list people|keys|credentials|doors|schedules [--at DATE-TIME]
 *   lockgw journal [--after SEQ] [--limit N]
 *   lockgw doctor
 *   lockgw status | sim <verb> ... | lockdown on|off   against a running daemon (controlCommand.ts)
 *   lockgw ble scan|pair|unpair ...                 BLE locks (bleCommand.ts)
 *   lockgw cloud-sim <verb> ...                    the cloud simulator (cloudSimCommand.ts)
 *   lockgw phone-sim <verb> ...                    a phone with a phone key (phoneSimCommand.ts)
 *   lockgw lock-sim --adapter A ...                an emulated Nuki lock (lockSimCommand.ts)
 * Every command takes --config FILE (default: $LOCKGW_CONFIG, else the embedded defaults).
 * `decide` is a what-if question: it is not journaled and does not count uses.
 */
import { parseArgs } from 'node:util';
import { decide } from '../access/decide.js';
import { parseCardNumber } from '../kernel/cardNumber.js';
import type { Presentation } from '../access/verdict.js';
import { SystemClock } from '../kernel/clock.js';
import { loadConfig } from '../app/config/loadConfig.js';
import { Gateway } from '../app/gateway.js';
import { GatewayError, isGatewayError } from '../kernel/gatewayError.js';
import { createLogger } from '../kernel/logger.js';
import { runDaemon } from '../app/daemon.js';
import { integrityCheckReport, listReport, storeReport } from './reports.js';
import { runControlCommand } from './controlCommand.js';
import { join, resolve as resolvePath } from 'node:path';
import { parseInstant } from './parseInstant.js';
import { lockgwVersion } from '../app/version.js';

const USAGE = `usage: lockgw <command> [options]
  run                      run the gateway daemon (run --help: its options)
  --version                lockgw's version
  decide --door ID (--card 26:12:34567 | --pin 1234 | --fingerprint lobby-fp:3 | --mobile erin-phone)
         [--pin 1234 together with --card at card+PIN doors] [--at 2026-12-25T09:00]
  list people|keys|credentials|doors|schedules [--at DATE-TIME]
  journal [--after SEQ] [--limit N]
  backup FILE | --into DIR --keep N   an encrypted backup, safe while the daemon runs (backup --help)
  restore FILE [--force]   put a backup in place, with the daemon stopped (restore --help)
  doctor                   the database's state (and safety-only mode), integrity check, schema version, counts, journal health
  ble scan [--timeout S]   BLE devices in range: signal, pairing mode, which door each is paired to
  ble pair --door ID [--address A]   pair the door's BLE lock (in pairing mode); restart the daemon after
  ble unpair --door ID     forget the door's pairing
against a running daemon (its control socket, docs/control-socket.md):
  status                   every door: mode, lock, position, health, alarms
  sim present --door ID --card 26:12:34567     present a card to the door's simulated reader
  sim keys --door ID '1234#'                   type on its keypad (# submits, * clears)
  sim finger --door ID --slot 3                touch its fingerprint reader
  sim phone --door ID --mobile erin-phone      a phone key at its BLE reader
  sim door --door ID open|closed               move the door (contact)
  sim rex --door ID                            press request-to-exit
  sim fire on|off                              the simulated fire/egress input (refused when a door is real)
  (sim acts on simulated devices only; a sim that reaches nothing fails)
  lockdown on|off [--door ID]                  lockdown for a door or the site: real doors, operators only
  exit codes: 0 done, 1 error, 2 usage, 3 refused (not authorised, or not simulated)
the cloud simulator (lockgw cloud-sim --help):
  cloud-sim keygen|info --state DIR            its signing key (the public half goes in cloud.keys)
  cloud-sim publish|serve|command|clear-door --state DIR --gateway ID --url mqtt://HOST:PORT ...
  cloud-sim document --state DIR --gateway ID --credential ID ...   an access document for a phone
a phone (lockgw phone-sim --help):
  phone-sim keygen --key FILE                  a phone key pair; prints the public key
  phone-sim open (--key FILE | --demo) --door ID --adapter hci0|UART   ask a gateway to open a door
  phone-sim radio [--dir DIR]                  a virtual BLE radio: UARTs for a gateway and a phone, no hardware
a lock (lockgw lock-sim --help):
  lock-sim --adapter hci0|UART [--pairing] [--battery PERCENT] [--state locked|unlocked]   an emulated Nuki lock, until Ctrl-C
options: --config FILE (default $LOCKGW_CONFIG or the embedded defaults)`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  door: { type: 'string' },
  card: { type: 'string' },
  pin: { type: 'string' },
  fingerprint: { type: 'string' },
  mobile: { type: 'string' },
  at: { type: 'string' },
  after: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  address: { type: 'string' },
  timeout: { type: 'string' },
  slot: { type: 'string' },
  confidence: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Out = (line: string) => void;

async function withGateway<T>(configPath: string | undefined, work: (g: Gateway) => T | Promise<T>): Promise<T> {
  const config = loadConfig(configPath ?? process.env.LOCKGW_CONFIG);
  const logger = await createLogger('warn', 'never', process.stderr);
  const gateway = new Gateway(config, { clock: new SystemClock(), logger, rulesOnly: true });
  await gateway.start();
  try {
    return await work(gateway);
  } finally {
    await gateway.stop();
  }
}

function presentationFrom(values: Record<string, string | boolean | undefined>, hashPin: (pin: string) => string): Presentation {
  const doorId = values.door;
  if (typeof doorId !== 'string') throw new GatewayError('INPUT_INVALID', 'decide needs --door ID', { field: 'door' });
  const pinOk = (pin: string) => {
    if (!/^\d{4,8}$/.test(pin)) throw new GatewayError('INPUT_INVALID', '--pin must be 4 to 8 digits', { field: 'pin' });
    return hashPin(pin);
  };
  const given = (['card', 'fingerprint', 'mobile'] as const).filter((k) => typeof values[k] === 'string');
  if (given.length > 1) throw new GatewayError('INPUT_INVALID', `give one credential, not ${given.map((g) => `--${g}`).join(' and ')}`, { field: given[1]! });
  if (typeof values.card === 'string') {
    const card = parseCardNumber(values.card);
    if (!card.ok) throw new GatewayError('INPUT_INVALID', `--card: ${card.reason}`, { field: 'card' });
    return { doorId, kind: 'card', value: card.value, ...(typeof values.pin === 'string' ? { pinDigest: pinOk(values.pin) } : {}) };
  }
  if (typeof values.fingerprint === 'string') return { doorId, kind: 'fingerprint', value: values.fingerprint };
  if (typeof values.mobile === 'string') return { doorId, kind: 'mobile', value: values.mobile };
  if (typeof values.pin === 'string') return { doorId, kind: 'pin', value: pinOk(values.pin) };
  throw new GatewayError('INPUT_INVALID', 'decide needs a credential: --card, --pin, --fingerprint or --mobile', { field: 'card' });
}

export async function runCli(argv: string[], out: Out = (l) => process.stdout.write(`${l}\n`), err: Out = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    out(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === 'version') {
    out(`lockgw ${lockgwVersion()}`);
    return 0;
  }
  if (command === 'run') {
    await runDaemon(rest, out);
    return 0;
  }
  if (command === 'cloud-sim') {
    // the other end of the wire: loaded only for this verb, never by the daemon
    const { runCloudSim } = await import('../../tools/cloud-sim/cli/cloudSimCommand.js');
    return runCloudSim(rest, { out });
  }
  if (command === 'phone-sim') {
    // a phone with a phone key: loaded only for this verb
    const { runPhoneSim } = await import('../../tools/phone-sim/cli/phoneSimCommand.js');
    return runPhoneSim(rest, { out });
  }
  if (command === 'lock-sim') {
    // an emulated Nuki lock: loaded only for this verb
    const { runLockSim } = await import('../../tools/lock-sim/cli/lockSimCommand.js');
    return runLockSim(rest, { out });
  }
  if (command === 'backup' || command === 'restore') {
    // each verb parses its own options (src/cli/backup.ts, restore.ts)
    const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } }, allowPositionals: true, strict: false });
    const config = loadConfig((typeof values.config === 'string' ? values.config : undefined) ?? process.env.LOCKGW_CONFIG);
    const run = command === 'backup' ? (await import('./backup.js')).runBackup : (await import('./restore.js')).runRestore;
    return run(rest, config, out);
  }
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) {
    out(USAGE);
    return 0;
  }
  switch (command) {
    case 'decide':
      return withGateway(values.config, (g) => {
        const presentation = presentationFrom(values, (pin) => g.hashPin(pin));
        const now = values.at === undefined ? Date.now() : parseInstant(values.at, g.index.timeZone);
        const v = decide(g.index, presentation, now);
        if (values.json) {
          out(JSON.stringify({ ...v, at: new Date(now).toISOString() }));
        } else {
          const local = new Date(now).toLocaleString('sv-SE', { timeZone: g.index.timeZone });
          out(`${v.grant ? 'GRANTED' : 'DENIED'}  ${v.reason}${v.alarm ? '  (silent duress alarm)' : ''}`);
          out(`  door ${presentation.doorId} at ${local} ${g.index.timeZone}`);
          if (v.personId) out(`  person ${v.personId}${v.credentialId ? `, credential ${v.credentialId}` : ''}`);
          if (v.keyId) out(`  key ${v.keyId}`);
          out(`  rules revision ${v.revision}, hash ${g.index.hash.slice(0, 12)}`);
        }
        return v.grant ? 0 : 3;
      });
    case 'list': {
      const what = positionals[0];
      return withGateway(values.config, (g) => {
        const now = values.at === undefined ? Date.now() : parseInstant(values.at, g.index.timeZone);
        for (const line of listReport(g.store, what, now)) out(line);
        return 0;
      });
    }
    case 'journal':
      return withGateway(values.config, (g) => {
        const after = Number(values.after ?? 0);
        const limit = Number(values.limit ?? 50);
        if (!Number.isInteger(after) || after < 0) throw new GatewayError('INPUT_INVALID', '--after must be a sequence number', { field: 'after' });
        if (!Number.isInteger(limit) || limit < 1) throw new GatewayError('INPUT_INVALID', '--limit must be a positive integer', { field: 'limit' });
        for (const e of g.journal.read(after, limit)) out(JSON.stringify(e));
        return 0;
      });
    case 'status':
    case 'sim':
    case 'lockdown': {
      const config = loadConfig(values.config ?? process.env.LOCKGW_CONFIG);
      const socket = resolvePath(config.gateway.dataDir, config.control.socket);
      if (command !== 'status') return runControlCommand(command, positionals, values, socket, out, err);
      // the doors from the daemon; the database's state (and a safety-only mode) from the files
      const dataDir = resolvePath(config.gateway.dataDir);
      const store = storeReport(join(dataDir, config.store.file), dataDir, config.cloud.enabled);
      let told = false;
      const tell = () => { if (!told) for (const line of store.lines) out(line); told = true; };
      // offline: what is wrong with the database first, then the error (no daemon, how to start it)
      const code = await runControlCommand('status', positionals, values, socket, out, (line) => { tell(); err(line); });
      tell();
      return code !== 0 ? code : store.usable ? 0 : 2;
    }
    case 'ble': {
      const { runBle } = await import('./bleCommand.js');
      const config = loadConfig(values.config ?? process.env.LOCKGW_CONFIG);
      return runBle(positionals[0], config, { door: values.door, address: values.address, timeout: values.timeout, json: values.json }, out);
    }
    case 'doctor': {
      // the database first, read-only: a bad file gets its cause and its recovery, not a stack trace
      const config = loadConfig(values.config ?? process.env.LOCKGW_CONFIG);
      const dataDir = resolvePath(config.gateway.dataDir);
      const store = storeReport(join(dataDir, config.store.file), dataDir, config.cloud.enabled);
      for (const line of store.lines) out(line);
      if (!store.usable) return 2;
      return withGateway(values.config, (g) => {
        const lines = integrityCheckReport(g);
        for (const line of lines.lines) out(line);
        return lines.ok ? 0 : 2;
      });
    }
    default:
      out(`unknown command "${command}"\n${USAGE}`);
      return 1;
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  // `lockgw list people | head -2`: a reader that went away ends the output quietly, not with a stack
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  runCli(process.argv.slice(2)).then(
    (code) => {
      if (process.argv[2] !== 'run') process.exitCode = code;
    },
    (err: unknown) => {
      if (isGatewayError(err)) process.stderr.write(`lockgw: ${err.message}${err.details.hint ? `\nhint: ${err.details.hint}` : ''}\n`);
      else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`lockgw: ${(err as Error).message}\n${USAGE}\n`);
        process.exitCode = 2; // usage
        return;
      } else process.stderr.write(`lockgw: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
