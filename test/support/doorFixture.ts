/**
 * One DoorController on simulated hardware (src/hal/sim createSimDoor) with a ManualClock and a
 * minimal DoorContext: no database, no rules. Every presentation is denied (tests that need a
 * grant use the gateway fixture); the journal is an array; lockdown and the passage schedule are
 * switches the test flips.
 */
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import type { Verdict } from '../../src/access/verdict.js';
import { DoorController, type DoorContext } from '../../src/doors/doorController.js';
import { DoorBehaviourSchema, type DoorBehaviourInput } from '../../src/doors/doorConfig.js';
import type { JournalEvent } from '../../src/journal/journal.js';
import { createSimDoor, type SimDoor } from '../../src/hal/sim/simDoor.js';

export interface DoorFixture {
  clock: ManualClock;
  door: DoorController;
  sim: SimDoor;
  /** what the door journaled, oldest first */
  journal: JournalEvent[];
  /** the answer of ctx.passageOpen for every schedule */
  world: { passageOpen: boolean; lockedDown: boolean };
}

export async function doorFixture(
  t: { teardown(fn: () => unknown): void },
  behaviour: Partial<DoorBehaviourInput> = {},
  start = '2026-11-23T09:00:00Z',
): Promise<DoorFixture> {
  const clock = new ManualClock(start);
  const logger = pino({ level: 'silent' });
  const journal: JournalEvent[] = [];
  const world = { passageOpen: false, lockedDown: false };
  const config = DoorBehaviourSchema.parse({ id: 'lobby', ...behaviour });
  const sim = createSimDoor(config.id, clock, { failSafe: config.failSafe });
  const deny = (doorId: string): Verdict => ({
    grant: false, reason: 'unknown_credential', doorId, personId: null, keyId: null, credentialId: null,
    revision: 1, alarm: false, extendedUnlock: false, staff: false,
  });
  const ctx: DoorContext = {
    clock,
    logger,
    decide: (presentation) => deny(presentation.doorId),
    recordDecision: (presentation, verdict) => journal.push({ type: 'access', at: clock.now(), doorId: presentation.doorId, grant: verdict.grant, reason: verdict.reason }),
    record: (event) => journal.push({ ...event, at: clock.now() }),
    hashPin: (digits) => `digest-${digits.length}`,
    lockouts: { load: () => ({ failures: 0, level: 0, lockedUntil: 0 }), save: () => undefined },
    passageOpen: () => world.passageOpen,
    localDay: (now) => Math.floor(now / 86_400_000),
    lockedDown: () => world.lockedDown,
  };
  const door = new DoorController(config, { readers: sim.readers, actuator: sim.actuator, contact: sim.contact, rex: sim.rex, indicator: sim.indicator }, ctx);
  for (const device of sim.devices) await device.start();
  await door.start();
  t.teardown(async () => {
    await door.stop();
    for (const device of sim.devices) await device.stop();
  });
  return { clock, door, sim, journal, world };
}
