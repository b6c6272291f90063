/**
 * A door's status as the retained door_status message (wire/messages.ts DoorStatusSchema), and
 * the part of it that counts as a change. The link declares what it needs of a status
 * (DoorStatusReport); the doors' own status (doors/doorController.ts) is one.
 */
import type { DoorStatusMessage } from '../wire/messages.js';

type HealthMessage = DoorStatusMessage['health'];

/** What the cloud link reads of one door: its mode, lock, position, alarms and health. */
export interface DoorStatusReport {
  doorId: string;
  mode: DoorStatusMessage['mode'];
  actuator: DoorStatusMessage['actuator'];
  open: boolean | undefined;
  alarms: readonly string[];
  health: HealthMessage;
  devices: Readonly<Record<string, HealthMessage>>;
}

/** Only the schema's fields: a driver's Health may one day carry more than the wire allows. */
function healthMessage(health: HealthMessage): HealthMessage {
  return { state: health.state, reason: health.reason, since: health.since };
}

/** The door_status message of `status`, stamped `at` (epoch ms from the injected Clock). */
export function toDoorStatusMessage(status: DoorStatusReport, at: number): DoorStatusMessage {
  const devices: Record<string, HealthMessage> = {};
  for (const [id, health] of Object.entries(status.devices)) devices[id] = healthMessage(health);
  return {
    doorId: status.doorId,
    at,
    mode: status.mode,
    actuator: status.actuator,
    ...(status.open === undefined ? {} : { open: status.open }),
    alarms: [...status.alarms],
    health: healthMessage(status.health),
    devices,
  };
}

/**
 * What has to differ for a status to be published again: everything but the times. `at` is the
 * time of reading, and some `since` values are recomputed on every read (a door with no reader
 * online reports `since: now`); a change of state or reason is what matters. Alarm order and
 * device order do not count.
 */
export function doorStatusFingerprint(status: DoorStatusReport): string {
  const devices = Object.entries(status.devices)
    .map(([id, h]) => [id, h.state, h.reason])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  return JSON.stringify([
    status.doorId,
    status.mode,
    status.actuator,
    status.open ?? null,
    [...status.alarms].sort(),
    [status.health.state, status.health.reason],
    devices,
  ]);
}
