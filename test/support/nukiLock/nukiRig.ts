/**
 * A lock emulator, a connector that opens a memory link to it, and a clock that only moves when
 * told: what the Nuki tests share. `drive` settles a promise by moving the clock in steps.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ManualClock } from '../../../src/kernel/clock.js';
import { GatewayError } from '../../../src/kernel/gatewayError.js';
import type { BleLink } from '../../../src/hal/ble/bleLink.js';
import { pair } from '../../../src/hal/ble/nuki/nukiPairing.js';
import type { NukiCredentials } from '../../../src/hal/ble/nuki/nukiSession.js';
import { memoryBleLinkPair, type MemoryBleLinkPair } from '../memoryBleLink.js';
import { NukiLockEmulator, type NukiLockEmulatorOptions } from '../../../tools/lock-sim/nukiLockEmulator.js';

export const settle = async (turns = 20): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
};

/** Moves the clock `stepMs` at a time until `promise` settles (at most `maxMs`); returns its outcome. */
export async function drive<T>(clock: ManualClock, promise: Promise<T>, stepMs = 100, maxMs = 600_000): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let outcome: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  promise.then((value) => { outcome = { ok: true, value }; }, (error: unknown) => { outcome = { ok: false, error }; });
  for (let waited = 0; ; waited += stepMs) {
    await settle();
    if (outcome) return outcome;
    if (waited >= maxMs) throw new Error(`still pending after ${maxMs} ms of clock`);
    clock.advance(stepMs);
  }
}

export interface Rig {
  clock: ManualClock;
  emu: NukiLockEmulator;
  /** false: connect() rejects DEVICE_OFFLINE (the lock is out of range) */
  reachable: boolean;
  connects: number;
  links: MemoryBleLinkPair[];
  connector: { connect(): Promise<BleLink> };
  /** pairs with the emulator (pairing mode on for the duration) */
  pairNow(appId?: number): Promise<NukiCredentials>;
  logs: string[];
  logger: pino.Logger;
}

export function nukiRig(options: Partial<NukiLockEmulatorOptions> & { maxValueLength?: number } = {}): Rig {
  const clock = new ManualClock('2025-03-01T08:00:00Z');
  const emu = new NukiLockEmulator({ clock, ...options });
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const rig: Rig = {
    clock, emu, logs, logger, reachable: true, connects: 0, links: [],
    connector: {
      async connect() {
        if (!rig.reachable) throw new GatewayError('DEVICE_OFFLINE', 'lock not found', { id: 'nuki' });
        rig.connects++;
        const p = memoryBleLinkPair({ maxValueLength: options.maxValueLength ?? 20 });
        emu.attach(p.b);
        rig.links.push(p);
        return p.a;
      },
    },
    async pairNow(appId = 0x4c4f434b) {
      emu.setPairingMode(true);
      const link = await rig.connector.connect();
      const result = await drive(clock, pair(link, { appId, appName: 'lockgw test', clock }));
      await link.close();
      emu.setPairingMode(false);
      if (!result.ok) throw result.error;
      return result.value;
    },
  };
  return rig;
}
