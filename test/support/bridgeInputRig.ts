/**
 * A Wiegand bridge with door inputs over a real pseudo-terminal pair (socat): the driver on one
 * end, the emulated bridge on the other, a ManualClock for both. Port 1 has unsupervised inputs
 * with the default meanings, port 2 supervised ones (its REX unsupervised, active when open);
 * every sensor's events are recorded in order. `barrier()` sends a card on port 1 after
 * everything written so far and resolves when the reader presented it: every line before it was
 * handled (lines are handled in order), so a test can then assert what did NOT happen.
 */
import { once } from 'node:events';
import { SerialLink } from '../../src/hal/serial/serialLink.js';
import type { BridgeCommand, BridgeInputLine } from '../../src/hal/serial/wiegand/bridgeLine.js';
import type { BridgeSensor } from '../../src/hal/serial/wiegand/bridgeSensor.js';
import { WiegandBridge } from '../../src/hal/serial/wiegand/wiegandBridge.js';
import type { WiegandBridgeOptions, WiegandPortConfig } from '../../src/hal/serial/wiegand/wiegandBridgeOptions.js';
import type { ReaderInput, SensorFault, SensorInput } from '../../src/hal/types.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { BridgeEmulator, type EmulatedInput } from './bridgeEmulator.js';
import { ptyPair } from './ptyPair.js';
import type { Logger } from 'pino';

export type SensorEvent =
  | { sensor: string; event: 'change'; input: SensorInput; active: boolean }
  | { sensor: string; event: 'wiringFault'; fault: SensorFault | null };

export const INPUT_PORTS: readonly WiegandPortConfig[] = [
  {
    port: 1,
    readerId: 'front-in',
    inputs: {
      contact: { sensorId: 'front-door', input: 'door' },
      rex: { sensorId: 'front-rex', input: 'rex' },
      aux: { sensorId: 'fire', input: 'fire' },
    },
  },
  {
    port: 2,
    readerId: 'back-in',
    inputs: {
      contact: { sensorId: 'back-door', input: 'door', supervised: true },
      rex: { sensorId: 'back-rex', input: 'rex', activeWhen: 'open' },
      aux: { sensorId: 'back-aux', input: 'fire', supervised: true },
    },
  },
];

/** Every input of INPUT_PORTS at rest: closed doors, released buttons, no alarm. */
export const AT_REST: readonly EmulatedInput[] = [
  { port: 1, line: 'contact', state: 'closed' },
  { port: 1, line: 'rex', state: 'open' },
  { port: 1, line: 'aux', state: 'closed' },
  { port: 2, line: 'contact', state: 'normal' },
  { port: 2, line: 'rex', state: 'closed' },
  { port: 2, line: 'aux', state: 'normal' },
];

export interface InputRig {
  clock: ManualClock;
  bridge: WiegandBridge;
  emulator: BridgeEmulator;
  link: SerialLink;
  path: string;
  sensor(port: number, line: BridgeInputLine): BridgeSensor;
  /** every change and wiringFault of every sensor, in order */
  events: SensorEvent[];
  /** starts every sensor (and the port 1 reader the barrier uses); resolves once the bridge was asked for its inputs */
  startAll(): Promise<void>;
  barrier(): Promise<void>;
}

const GUARD_MS = 5000;

/** Resolves with the event's arguments, or rejects after GUARD_MS (a guard, not a wait). */
export function next<T extends unknown[]>(emitter: NodeJS.EventEmitter, event: string): Promise<T> {
  return once(emitter, event, { signal: AbortSignal.timeout(GUARD_MS) }) as Promise<T>;
}

export async function inputRig(
  t: { teardown(fn: () => unknown): void },
  logger: Logger,
  options: { inputs?: readonly EmulatedInput[]; ports?: readonly WiegandPortConfig[]; bridge?: Partial<WiegandBridgeOptions> } = {},
): Promise<InputRig> {
  const pty = await ptyPair(t);
  const clock = new ManualClock(0);
  const link = new SerialLink({ path: pty.a, baudRate: 115200, clock, logger });
  const peer = new SerialLink({ path: pty.b, baudRate: 115200, clock, logger });
  const ports = options.ports ?? INPUT_PORTS;
  const bridge = new WiegandBridge({ id: 'bridge-1', link, path: pty.a, clock, logger, ports, ...options.bridge });
  const emulator = new BridgeEmulator({ clock, link: peer, inputs: options.inputs ?? AT_REST });
  t.teardown(async () => {
    await emulator.stop();
    await bridge.stop();
    await peer.stop();
  });
  await peer.start();
  await emulator.start();
  const events: SensorEvent[] = [];
  const sensors: BridgeSensor[] = [];
  for (const p of ports) {
    for (const line of ['contact', 'rex', 'aux'] as const) {
      if (!p.inputs?.[line]) continue;
      const sensor = bridge.sensor(p.port, line);
      sensor.on('change', (input, active) => events.push({ sensor: sensor.id, event: 'change', input, active }));
      sensor.on('wiringFault', (fault) => events.push({ sensor: sensor.id, event: 'wiringFault', fault }));
      sensors.push(sensor);
    }
  }
  const reader = bridge.reader(1);
  let barriers = 0;
  return {
    clock,
    bridge,
    emulator,
    link,
    path: pty.a,
    events,
    sensor: (port, line) => bridge.sensor(port, line),
    startAll: async () => {
      const asked = next<[BridgeCommand]>(emulator, 'command');
      await reader.start();
      for (const s of sensors) await s.start();
      // the emulator writes its answer before it emits the command: a barrier now comes after it
      if ((await asked)[0].type !== 'query_inputs') throw new Error('the first command after the link opened was not S');
    },
    barrier: async () => {
      const number = ++barriers;
      const seen = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`barrier ${number} not reached`)), GUARD_MS);
        const onInput = (input: ReaderInput): void => {
          if (input.kind !== 'card' || input.value !== `26:1:${number}`) return;
          clearTimeout(timer);
          reader.off('input', onInput);
          resolve();
        };
        reader.on('input', onInput);
      });
      await emulator.send(`\n${emulator.cardLine(1, 'H10301', 1, number)}`);
      await seen;
    },
  };
}
