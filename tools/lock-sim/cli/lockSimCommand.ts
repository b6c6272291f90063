/**
 * `lockgw lock-sim`: an emulated Nuki Smart Lock on a Bluetooth adapter (real bleno), for
 * installers and demos without a lock: `lockgw ble scan` sees it, `lockgw ble pair` pairs with it,
 * the daemon drives it. It serves until SIGINT/SIGTERM (or `io.signal`), printing its address
 * and every lock action, and persists nothing: its pairings are forgotten when it stops.
 *   lockgw lock-sim --adapter UART|hciN [--pairing] [--battery PERCENT] [--state locked|unlocked] [--motor-ms MS]
 * Exit: 0 stopped by a signal, 2 error (one line on stderr).
 */
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { openPeripheral, type BleAdapterConfig } from '../../../src/hal/ble/bleAdapter.js';
import { SystemClock, type Clock } from '../../../src/kernel/clock.js';
import { GatewayError, isGatewayError } from '../../../src/kernel/gatewayError.js';
import { NukiLockEmulator } from '../nukiLockEmulator.js';
import { LockSimServer } from '../lockSimServer.js';

export const LOCK_SIM_USAGE = `usage: lockgw lock-sim --adapter A [--pairing] [--battery PERCENT] [--state locked|unlocked] [--motor-ms MS]
  an emulated Nuki Smart Lock on a Bluetooth adapter, until Ctrl-C; prints its address and every action
  --pairing      start in pairing mode (left after one pairing, as the real lock does)
  --battery      its battery charge in percent (default 80; below the door's lowBatteryPercent: an alarm)
  --state        the bolt at start (default locked)
  --motor-ms     how long the motor runs per action (default 1500)
adapter: hci0 (a Bluetooth adapter) or a UART path (a controller on a serial port, or a virtual radio's UART)
nothing is stored: the pairings go when it stops
exit: 0 stopped, 2 error`;

const OPTIONS = {
  adapter: { type: 'string' },
  pairing: { type: 'boolean' },
  battery: { type: 'string' },
  state: { type: 'string' },
  'motor-ms': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LockSimIo {
  out(line: string): void;
  /** default: stderr */
  err?(line: string): void;
  clock?: Clock;
  logger?: Logger;
  /** stops the lock (tests); without it SIGINT or SIGTERM does */
  signal?: AbortSignal;
  /** called once the lock advertises (tests) */
  ready?(address: string): void;
}

function adapterOf(text: string | undefined): BleAdapterConfig {
  if (text === undefined || text === '') throw new GatewayError('INPUT_INVALID', 'lock-sim needs --adapter: hci0 (a Bluetooth adapter) or a UART path', { field: 'adapter' });
  const hci = /^hci:?(\d{1,2})$/.exec(text);
  if (hci) return { hci: Number(hci[1]) };
  if (text.startsWith('/')) return { uart: text };
  throw new GatewayError('INPUT_INVALID', `--adapter "${text}" is neither hciN nor an absolute UART path`, { field: 'adapter', hint: 'e.g. --adapter hci0 or --adapter /dev/ttyUSB0' });
}

function integer(text: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new GatewayError('INPUT_INVALID', `--${name} "${text}" is not a whole number from ${min} to ${max}`, { field: name });
  return n;
}

function stopped(signal: AbortSignal | undefined): Promise<string> {
  if (signal) return new Promise((resolve) => (signal.aborted ? resolve('stopped') : signal.addEventListener('abort', () => resolve('stopped'), { once: true })));
  return new Promise((resolve) => {
    const on = (name: string) => () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); resolve(name); };
    const onInt = on('SIGINT');
    const onTerm = on('SIGTERM');
    process.once('SIGINT', onInt);
    process.once('SIGTERM', onTerm);
  });
}

export async function runLockSim(argv: string[], io: LockSimIo): Promise<number> {
  const fail = io.err ?? ((line: string) => process.stderr.write(`${line}\n`));
  try {
    const { values } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: false, strict: true });
    if (values.help) {
      io.out(LOCK_SIM_USAGE);
      return 0;
    }
    const adapter = adapterOf(values.adapter);
    const percent = integer(values.battery, 'battery', 0, 100, 80);
    const state = values.state ?? 'locked';
    if (state !== 'locked' && state !== 'unlocked') throw new GatewayError('INPUT_INVALID', `--state "${state}": locked or unlocked`, { field: 'state' });
    const motorMs = integer(values['motor-ms'], 'motor-ms', 0, 60_000, 1500);
    const clock = io.clock ?? new SystemClock();
    const logger = io.logger ?? pino({ level: 'warn', base: null }, pino.destination(2));
    const say = (event: Record<string, unknown>, text: string) => io.out(values.json ? JSON.stringify(event) : text);

    const peripheral = await openPeripheral(adapter, { clock, timeoutMs: 10_000, log: logger });
    const emu = new NukiLockEmulator({ clock, pairingMode: values.pairing === true, lockState: state, battery: { percent, critical: percent < 10, charging: false }, motorMs });
    const lock = new LockSimServer({ bleno: peripheral.bleno, emulator: emu, clock, log: logger });
    emu.events.on('action', (a) => say({ type: 'action', action: a.action, appId: a.appId, state: emu.state() }, `${a.action}  (app ${a.appId}; the lock is now ${emu.state()})`));
    emu.events.on('paired', (p) => {
      say({ type: 'paired', authId: p.authId, appId: p.appId, name: p.name }, `paired with "${p.name}" (authorization ${p.authId}); pairing mode off`);
      emu.setPairingMode(false);
    });
    try {
      await lock.start();
      const address = peripheral.bleno.address.toLowerCase();
      say({ type: 'ready', address, name: lock.name, pairingMode: emu.pairingMode(), battery: percent, state },
        `lock-sim: ${lock.name} at ${address} (${peripheral.name}), ${state}, battery ${percent}%${emu.pairingMode() ? ', in pairing mode' : ''}; Ctrl-C stops it`);
      io.ready?.(address);
      const why = await stopped(io.signal);
      say({ type: 'stopped', reason: why }, `lock-sim: stopped (${why}); its pairings are forgotten`);
      return 0;
    } finally {
      await lock.stop();
      emu.dispose();
      await peripheral.stop();
    }
  } catch (err) {
    if (isGatewayError(err)) fail(`lockgw lock-sim: ${err.message}${err.details.hint ? ` (${err.details.hint})` : ''}`);
    else if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) fail(`lockgw lock-sim: ${(err as Error).message} (see lockgw lock-sim --help)`);
    else fail(`lockgw lock-sim: ${(err as Error).message}`);
    return 2;
  }
}
