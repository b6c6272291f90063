/**
 * The door inputs and the fire input wired to the gateway's own GPIO: one GpioInput per wired
 * line, all watching through one GpioLineSource (libgpiod's tools in production; an emulated
 * line source in tests, GatewayDeps.gpioLines). Nothing is opened here: each input opens its
 * line when it starts.
 */
import type { Logger } from 'pino';
import type { GpioLineSource } from '../hal/gpio/gpioLineSource.js';
import { GpioInput } from '../hal/gpio/gpioInput.js';
import type { DoorSensor } from '../hal/types.js';
import type { Clock } from '../kernel/clock.js';
import type { DoorBehaviour } from '../doors/doorConfig.js';
import { SENSOR_INPUT, type FireConfig, type InputWiring } from '../doors/inputWiringConfig.js';
import { inputSensorId } from './serialDoors.js';

export interface GpioInputs {
  inputsOf(doorId: string): { contact?: DoorSensor; rex?: DoorSensor };
  fire: DoorSensor | null;
}


export function buildGpioInputs(doors: readonly DoorBehaviour[], fire: FireConfig | undefined, deps: { source: () => GpioLineSource; clock: Clock; logger: Logger }): GpioInputs {
  const byDoor = new Map<string, { contact?: DoorSensor; rex?: DoorSensor }>();
  const input = (wiring: InputWiring, role: 'contact' | 'rex' | 'fire', id: string): DoorSensor =>
    new GpioInput({ id, input: SENSOR_INPUT[role], config: wiring.gpio!, source: deps.source(), clock: deps.clock, logger: deps.logger });
  for (const d of doors) {
    const found: { contact?: DoorSensor; rex?: DoorSensor } = {};
    for (const role of ['contact', 'rex'] as const) {
      const wiring = d.inputs?.[role];
      if (wiring?.gpio) found[role] = input(wiring, role, inputSensorId(d.id, role));
    }
    byDoor.set(d.id, found);
  }
  return {
    inputsOf: (doorId) => byDoor.get(doorId) ?? {},
    fire: fire?.input.gpio ? input(fire.input, 'fire', inputSensorId(null, 'fire')) : null,
  };
}
