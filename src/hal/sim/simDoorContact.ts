/** A simulated door position contact: set(true) opens the door, set(false) closes it. */
import { SimSensor } from './simSensor.js';

export class SimDoorContact extends SimSensor {
  readonly input = 'door' as const;
}
