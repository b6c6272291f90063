/**
 * Opening a Bluetooth adapter for noble (central) or bleno (peripheral). The libraries are
 * imported lazily, when an adapter is opened, so a gateway without Bluetooth (or without the
 * native addons) starts. An adapter is an HCI device id (`{hci: 0}`: the kernel's hci0) or a
 * UART with an HCI controller (`{uart: '/dev/ttyACM0'}`; the tests' virtual controller too).
 *
 * `openCentral` / `openPeripheral` resolve once the adapter is poweredOn. They reject with
 * GatewayError 'CONFIG_INVALID' for a malformed config, 'DEVICE_OFFLINE' when there is no
 * usable adapter (UART path missing, library not loadable, adapter unsupported or not
 * authorised) and 'DEVICE_TIMEOUT' when the adapter does not power on within `timeoutMs` (from
 * the injected Clock). Every message starts with "no Bluetooth adapter:" and says what to fix.
 * A failed open leaves nothing behind (no port, no timer, no process handler).
 *
 * `stop()` stops scanning/advertising, disconnects, closes the binding (and its serial port),
 * and removes the `process` exit/SIGINT handlers the libraries install; it resolves even if
 * the adapter is gone, and a second call does nothing. Never touch a library's default export:
 * reading its state starts the kernel driver.
 */
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import type { Noble } from '@stoprocent/noble';
import type { Bleno } from '@stoprocent/bleno';
import type { Clock } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';

export type BleAdapterConfig = { hci: number } | { uart: string };

/** the part of a pino logger the adapters use */
export interface BleLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OpenAdapterOptions {
  clock: Clock;
  /** how long the adapter may take to power on */
  timeoutMs: number;
  log?: BleLogger;
}

export interface CentralAdapter {
  readonly noble: Noble;
  /** "UART /dev/ttyACM0" or "hci0", for messages */
  readonly name: string;
  stop(): Promise<void>;
}

export interface PeripheralAdapter {
  readonly bleno: Bleno;
  readonly name: string;
  stop(): Promise<void>;
}

type Library = (Noble | Bleno) & { stop(): void };
const HOST_EVENTS = ['exit', 'SIGINT'] as const;
/** process, as the plain emitter the libraries treat it as */
const host = process as unknown as import('node:events').EventEmitter;
const CLOSE_WAIT_MS = 1000;

export async function openCentral(adapter: BleAdapterConfig, options: OpenAdapterOptions): Promise<CentralAdapter> {
  const name = await check(adapter);
  const mod = await load('@stoprocent/noble', () => import('@stoprocent/noble'));
  const noble = mod.withBindings('hci', bindings(adapter));
  noble.removeAllListeners('warning');
  noble.on('warning', (message: string) => options.log?.warn({ adapter: name }, `noble: ${message}`));
  // reading `state` starts the binding synchronously, so the handlers it adds can be told apart
  const stop = await powerOn(noble, name, options, () => void noble.state, () => undefined);
  return { noble, name, stop };
}

export async function openPeripheral(adapter: BleAdapterConfig, options: OpenAdapterOptions): Promise<PeripheralAdapter> {
  const name = await check(adapter);
  const mod = await load('@stoprocent/bleno', () => import('@stoprocent/bleno'));
  const bleno = mod.withBindings('hci', bindings(adapter));
  const untame = tameDevicePoll(bleno);
  // bleno starts its binding when the first stateChange listener is added (powerOn adds it)
  const stop = await powerOn(bleno, name, options, () => undefined, untame);
  return { bleno, name, stop };
}

async function check(adapter: BleAdapterConfig): Promise<string> {
  if ('uart' in adapter && typeof adapter.uart === 'string' && adapter.uart !== '') {
    try {
      await stat(adapter.uart);
    } catch (cause) {
      throw new GatewayError('DEVICE_OFFLINE', `no Bluetooth adapter: UART ${adapter.uart} does not exist`, { field: 'uart', hint: 'plug in the Bluetooth dongle or correct the UART path in the config' }, { cause });
    }
    return `UART ${adapter.uart}`;
  }
  if ('hci' in adapter && Number.isInteger(adapter.hci) && adapter.hci >= 0) return `hci${adapter.hci}`;
  throw new GatewayError('CONFIG_INVALID', 'a Bluetooth adapter is {hci: <device id>} or {uart: "<path>"}', { field: 'adapter' });
}

async function load<T>(pkg: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer();
  } catch (cause) {
    throw new GatewayError('DEVICE_OFFLINE', `no Bluetooth adapter: ${pkg} cannot be loaded (${(cause as Error).message})`, { hint: `reinstall lockgw with ${pkg}'s native addon for this platform` }, { cause });
  }
}

function bindings(adapter: BleAdapterConfig) {
  if ('uart' in adapter) return { hciDriver: 'uart', bindParams: { uart: { port: adapter.uart, baudRate: 1_000_000 } } };
  return { deviceId: adapter.hci };
}

/**
 * Starts `lib`, waits for poweredOn and returns its stop(). `start` runs between two snapshots
 * of the process handlers: what it adds belongs to this adapter and goes on stop.
 */
async function powerOn(lib: Library, name: string, options: OpenAdapterOptions, start: () => void, afterStop: () => void): Promise<() => Promise<void>> {
  const before = new Map(HOST_EVENTS.map((e) => [e, new Set(host.listeners(e))]));
  let onState: (state: string) => void = () => undefined;
  const state = new Promise<void>((resolve, reject) => {
    onState = (s: string) => {
      if (s === 'poweredOn') resolve();
      else if (s === 'unsupported') reject(new GatewayError('DEVICE_OFFLINE', `no Bluetooth adapter: ${name} is not a Bluetooth LE controller (or cannot be opened)`, { hint: 'check the adapter id or UART path in the config' }));
      else if (s === 'unauthorized') reject(new GatewayError('DEVICE_OFFLINE', `no Bluetooth adapter: not allowed to open ${name}`, { hint: 'give the lockgw user CAP_NET_RAW (hci) or access to the serial device (uart)' }));
    };
  });
  try {
    start();
    lib.on('stateChange', onState);
    guardHostInput(lib, name, options.log);
  } catch {
    onState('unsupported');
  }
  const owned = HOST_EVENTS.flatMap((e) => host.listeners(e).filter((l) => !before.get(e)!.has(l)).map((l) => [e, l] as const));
  onState(lib.state);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    lib.removeListener('stateChange', onState);
    const port = serialDevice(lib);
    const wasOpen = port?.isOpen === true;
    try {
      lib.stop();
    } catch {
      // a binding that never opened throws on stop; there is nothing left to release
    }
    afterStop();
    for (const [event, listener] of owned) host.removeListener(event, listener as (...args: unknown[]) => void);
    if (port && wasOpen) await closed(port, options.clock);
  };

  let timer: ReturnType<Clock['setTimeout']> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = options.clock.setTimeout(() => reject(new GatewayError('DEVICE_TIMEOUT', `no Bluetooth adapter: ${name} did not power on within ${options.timeoutMs} ms`, { hint: 'check that the device is a Bluetooth HCI controller and not in use by another program' })), options.timeoutMs);
  });
  try {
    await Promise.race([state, timeout]);
    options.log?.info({ adapter: name }, 'Bluetooth adapter powered on');
    return stop;
  } catch (err) {
    await stop();
    throw err;
  } finally {
    options.clock.clearTimeout(timer);
  }
}

interface SerialLike {
  isOpen: boolean;
  once(event: 'close', listener: () => void): unknown;
}

/** the UART driver's serial port, if this binding has one (library internals, looked up defensively) */
function serialDevice(lib: Library): SerialLike | null {
  const device = (lib as unknown as { _bindings?: { _hci?: { _socket?: { _serialDevice?: unknown } } } })._bindings?._hci?._socket?._serialDevice;
  return device && typeof (device as SerialLike).once === 'function' ? (device as SerialLike) : null;
}

/** waits (bounded) for the port the driver is closing, so a stopped adapter holds no fd */
async function closed(port: SerialLike, clock: Clock): Promise<void> {
  let timer: ReturnType<Clock['setTimeout']> | null = null;
  await Promise.race([
    once(port as unknown as import('node:events').EventEmitter, 'close').catch(() => undefined),
    new Promise<void>((resolve) => { timer = clock.setTimeout(resolve, CLOSE_WAIT_MS); }),
  ]);
  clock.clearTimeout(timer);
}

/**
 * Both libraries parse HCI packets in the socket's data listener without length checks: an ACL
 * start fragment shorter than its L2CAP header (which a hostile peer can send) throws a
 * RangeError there, and that would take the daemon down. Wrap each listener so a packet the
 * library cannot parse is dropped and logged instead (the peer's request is then lost; the ATT
 * timeout of gattCentral, or the peer's, ends the link).
 */
function guardHostInput(lib: Library, name: string, log: BleLogger | undefined): void {
  const socket = (lib as unknown as { _bindings?: { _hci?: { _socket?: unknown } } })._bindings?._hci?._socket as import('node:events').EventEmitter | undefined;
  if (!socket || typeof socket.listeners !== 'function') return;
  for (const listener of socket.listeners('data') as ((data: Buffer) => void)[]) {
    socket.removeListener('data', listener);
    socket.on('data', (data: Buffer) => {
      try {
        listener(data);
      } catch (err) {
        log?.warn({ err, adapter: name, packet: data.subarray(0, 16).toString('hex') }, 'dropped an HCI packet the Bluetooth library could not parse');
      }
    });
  }
}

/**
 * bleno 0.12 polls its device every second with a timer it never clears, even after stop(),
 * which keeps the process alive. Replace the poll on this instance with the same logic on a
 * timer that stop() clears (and that does not hold the process). Returns the clearing function.
 */
function tameDevicePoll(bleno: Bleno): () => void {
  type Hci = { pollIsDevUp: () => void; _socket?: { isDevUp?: () => boolean }; _isDevUp?: boolean; setSocketFilter(): void; initDev(): void; emit(e: string, v: string): void };
  const hci = (bleno as unknown as { _bindings?: { _hci?: Hci } })._bindings?._hci;
  if (!hci || typeof hci.pollIsDevUp !== 'function' || typeof hci._socket?.isDevUp !== 'function') return () => undefined;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  hci.pollIsDevUp = function poll(this: Hci) {
    if (stopped) return;
    const up = hci._socket!.isDevUp!();
    if (hci._isDevUp !== up) {
      if (up) {
        hci.setSocketFilter();
        hci.initDev();
      } else {
        hci.emit('stateChange', 'poweredOff');
      }
      hci._isDevUp = up;
    }
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = null; hci.pollIsDevUp(); }, 1000).unref();
  };
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}
