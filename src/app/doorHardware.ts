/**
 * The devices of the site's doors: the configured doors (serial, BLE or simulated), or the demo
 * site's on simulated devices; their wired inputs; and the site's fire input — the configured
 * one (`fire:`), or a simulated one when every door is simulated and no real fire input is set.
 * A real door is never driven by a simulated input.
 */
import type { Logger } from 'pino';
import { createSimDoor, createSimFireInput, type SimDoor } from '../hal/sim/simDoor.js';
import type { SimFireInput } from '../hal/sim/simFireInput.js';
import type { DoorSensor } from '../hal/types.js';
import type { Clock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { DoorBehaviourSchema, type DoorBehaviour } from '../doors/doorConfig.js';
import type { DoorHardware } from '../doors/siteDoors.js';
import type { GatewayConfig } from './config/configSchema.js';
import { DEMO_DOORS } from './demo/demoDoors.js';
import { buildSerialDoors, type SerialDeps, type SerialLinkReport } from './serialDoors.js';
import { buildGpioInputs } from './gpioInputs.js';
import { GpiodToolLineSource } from '../hal/gpio/gpiodToolLineSource.js';
import type { GpioLineSource } from '../hal/gpio/gpioLineSource.js';
import type { R30xSensor } from '../hal/serial/fingerprint/r30xSensor.js';

export interface SimulatedDevices {
  doors: ReadonlyMap<string, SimDoor>;
  fire: SimFireInput | null;
}

export interface SiteHardware {
  doors: DoorHardware[];
  /** the site's fire input: configured, simulated, or none */
  fire: DoorSensor | null;
  simulated: SimulatedDevices;
  /** each door's R30x fingerprint sensor, by door id */
  fingerprints: ReadonlyMap<string, R30xSensor>;
  /** the serial links (bridges, relay boards, fingerprint sensors) and their health */
  serialLinks(): SerialLinkReport[];
}

/** A door's wired inputs added to its devices (a BLE lock's door with a contact on a bridge). */
function withInputs(door: DoorHardware, inputs: { contact?: DoorSensor; rex?: DoorSensor }): DoorHardware {
  const sensors = [inputs.contact, inputs.rex].filter((x): x is DoorSensor => x !== undefined);
  if (sensors.length === 0) return door;
  return { ...door, devices: { ...door.devices, ...inputs }, all: [...door.all, ...sensors] };
}

/** The configured doors, or the demo site's when none are configured and the demo is seeded. */
export function doorBehaviours(config: GatewayConfig): DoorBehaviour[] {
  if (config.doors.length > 0) return config.doors;
  return config.demo.seed ? DEMO_DOORS.map((d) => DoorBehaviourSchema.parse(d)) : [];
}

export function buildSiteHardware(
  config: GatewayConfig,
  behaviours: readonly DoorBehaviour[],
  deps: SerialDeps & { clock: Clock; logger: Logger; bleDoor?: ((behaviour: DoorBehaviour) => DoorHardware) | undefined; gpioLines?: GpioLineSource | undefined },
): SiteHardware {
  const { clock, logger } = deps;
  let tools: GpioLineSource | null = null;
  const source = () => deps.gpioLines ?? (tools ??= new GpiodToolLineSource({ clock, logger }));
  const gpio = buildGpioInputs(behaviours, config.fire, { source, clock, logger });
  const sims = new Map<string, SimDoor>();
  const serial = buildSerialDoors(config.serial, behaviours, deps, config.fire);
  const doors: DoorHardware[] = behaviours.map((behaviour) => {
    if (behaviour.hardware === 'serial') return withInputs(serial.doors.find((d) => d.behaviour.id === behaviour.id)!, gpio.inputsOf(behaviour.id));
    if (behaviour.hardware === 'ble') {
      // the config refuses a BLE lock without a lock radio; this is the composition's own check
      if (!deps.bleDoor) throw new GatewayError('CONFIG_INVALID', `door ${behaviour.id} has a BLE lock but no lock radio is configured`, { id: behaviour.id, field: 'ble.locks' });
      return withInputs(deps.bleDoor(behaviour), { ...serial.inputsOf(behaviour.id), ...gpio.inputsOf(behaviour.id) });
    }
    const sim = createSimDoor(behaviour.id, clock, { logger, failSafe: behaviour.failSafe });
    sims.set(behaviour.id, sim);
    return { behaviour, devices: { readers: sim.readers, actuator: sim.actuator, contact: sim.contact, rex: sim.rex, indicator: sim.indicator }, all: sim.devices };
  });
  const realFire = serial.fire ?? gpio.fire;
  // a simulated fire input releases every fire-release door: only on an all-simulated site
  const simFire = realFire === null && sims.size > 0 && sims.size === doors.length ? createSimFireInput(clock, { logger }) : null;
  return { doors, fire: realFire ?? simFire, simulated: { doors: sims, fire: simFire }, serialLinks: serial.links, fingerprints: serial.fingerprints };
}
