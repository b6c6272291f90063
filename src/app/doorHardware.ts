/**
 * The devices of the site's doors: the configured doors (serial or simulated), or the demo site's
 * on simulated devices; and a simulated fire input once any door exists.
 */
import type { Logger } from 'pino';
import { createSimDoor, createSimFireInput, type SimDoor } from '../hal/sim/simDoor.js';
import type { SimFireInput } from '../hal/sim/simFireInput.js';
import type { Clock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { DoorBehaviourSchema, type DoorBehaviour } from '../doors/doorConfig.js';
import type { DoorHardware } from '../doors/siteDoors.js';
import type { GatewayConfig } from './config/configSchema.js';
import { DEMO_DOORS } from './demo/demoDoors.js';
import { buildSerialDoors, type SerialDeps } from './serialDoors.js';

export interface SimulatedDevices {
  doors: ReadonlyMap<string, SimDoor>;
  fire: SimFireInput | null;
}

export interface SiteHardware {
  doors: DoorHardware[];
  fire: SimFireInput | null;
  simulated: SimulatedDevices;
}

/** The configured doors, or the demo site's when none are configured and the demo is seeded. */
export function doorBehaviours(config: GatewayConfig): DoorBehaviour[] {
  if (config.doors.length > 0) return config.doors;
  return config.demo.seed ? DEMO_DOORS.map((d) => DoorBehaviourSchema.parse(d)) : [];
}

export function buildSiteHardware(
  config: GatewayConfig,
  behaviours: readonly DoorBehaviour[],
  deps: SerialDeps & { clock: Clock; logger: Logger; bleDoor?: ((behaviour: DoorBehaviour) => DoorHardware) | undefined },
): SiteHardware {
  const { clock, logger } = deps;
  const sims = new Map<string, SimDoor>();
  const serial = buildSerialDoors(config.serial, behaviours, deps);
  const doors: DoorHardware[] = behaviours.map((behaviour) => {
    if (behaviour.hardware === 'serial') return serial.find((d) => d.behaviour.id === behaviour.id)!;
    if (behaviour.hardware === 'ble') {
      // the config refuses a BLE lock without a lock radio; this is the composition's own check
      if (!deps.bleDoor) throw new GatewayError('CONFIG_INVALID', `door ${behaviour.id} has a BLE lock but no lock radio is configured`, { id: behaviour.id, field: 'ble.locks' });
      return deps.bleDoor(behaviour);
    }
    const sim = createSimDoor(behaviour.id, clock, { logger, failSafe: behaviour.failSafe });
    sims.set(behaviour.id, sim);
    return { behaviour, devices: { readers: sim.readers, actuator: sim.actuator, contact: sim.contact, rex: sim.rex, indicator: sim.indicator }, all: sim.devices };
  });
  const fire = doors.length > 0 ? createSimFireInput(clock, { logger }) : null;
  return { doors, fire, simulated: { doors: sims, fire } };
}
