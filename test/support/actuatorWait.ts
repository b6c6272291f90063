/** Waiting on devices without sleeping: resolves when a condition holds, now or after an event. */
import type { EventEmitter } from 'node:events';
import type { ActuatorState, DoorActuator } from '../../src/hal/types.js';

/** Resolves when `check()` holds: now, or after one of `emitter`'s `event`s. */
export function whenTrue(emitter: EventEmitter<any>, event: string, check: () => boolean): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve) => {
    const listener = () => {
      if (!check()) return;
      emitter.off(event, listener);
      resolve();
    };
    emitter.on(event, listener);
  });
}

/** Resolves when the actuator reports `state`. */
export const untilState = (door: DoorActuator, state: ActuatorState): Promise<void> => whenTrue(door, 'state', () => door.state() === state);
