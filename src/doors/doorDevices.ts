/**
 * The devices of one door, and the door's health as it follows from them: offline when its
 * actuator is offline (it cannot move) or when it has readers and none is online (nobody can
 * present); degraded when any other device is not online; online otherwise.
 */
import type { CredentialReader, DoorActuator, DoorSensor, Health, Indicator } from '../hal/types.js';

export interface DoorDevices {
  readers: readonly CredentialReader[];
  actuator: DoorActuator;
  contact?: DoorSensor;
  rex?: DoorSensor;
  indicator?: Indicator;
}

/** The door's health and every device's by id; `now` dates an offline that no device dates. */
export function doorHealth(devices: DoorDevices, now: number): { health: Health; devices: Record<string, Health> } {
  const byId: Record<string, Health> = {};
  const all = [...devices.readers, devices.actuator, devices.contact, devices.rex, devices.indicator];
  for (const d of all) if (d) byId[d.id] = d.health();
  const actuator = devices.actuator.health();
  const readersDown = devices.readers.length > 0 && devices.readers.every((r) => r.health().state === 'offline');
  const worst = Object.values(byId).find((h) => h.state !== 'online');
  const health: Health = actuator.state === 'offline'
    ? { ...actuator, reason: `actuator: ${actuator.reason}` }
    : readersDown ? { state: 'offline', reason: 'no reader online', since: now }
      : worst ? { state: 'degraded', reason: worst.reason, since: worst.since } : { state: 'online', reason: 'all devices online', since: actuator.since };
  return { health, devices: byId };
}
