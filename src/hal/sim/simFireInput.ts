/** A simulated fire/egress input from the alarm panel: set(true) raises the alarm, set(false) clears it. */
import { SimSensor } from './simSensor.js';

export class SimFireInput extends SimSensor {
  readonly input = 'fire' as const;
}
