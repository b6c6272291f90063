/**
 * The shared part of the simulated door sensors (contact, REX, fire input). `set(level)` moves
 * the physical input; `change` is emitted only on an actual edge and only while the sensor is
 * started and not offline. An edge missed while offline is reported when the sensor is reachable
 * again, as a driver would on re-reading the input. `value()` is undefined while the sensor
 * cannot be read (not started, stopped, offline).
 */
import { GatewayError } from '../../kernel/gatewayError.js';
import type { DoorSensor, SensorEvents, SensorInput } from '../types.js';
import { SimDevice, type SimDelivery, type SimDeviceOptions } from './simDevice.js';

export interface SimSensorOptions extends SimDeviceOptions {
  /** the physical level at power-up; default false (closed, not pressed, no alarm) */
  initial?: boolean;
}

export interface SensorRecord {
  at: number;
  value: boolean;
  delivered: boolean;
  /** why no `change` was emitted */
  reason?: string;
}

/** Human words for a level, for reasons and logs. */
export const LEVEL_NAMES: Readonly<Record<SensorInput, readonly [off: string, on: string]>> = {
  door: ['closed', 'open'],
  rex: ['released', 'pressed'],
  fire: ['normal', 'alarm'],
};

export abstract class SimSensor extends SimDevice<SensorEvents, SensorRecord> implements DoorSensor {
  readonly kind = 'sensor' as const;
  abstract readonly input: SensorInput;
  private level: boolean;
  /** the level listeners last heard about (undefined before the first read) */
  private reported: boolean | undefined;

  constructor(options: SimSensorOptions) {
    super(options);
    this.level = options.initial ?? false;
  }

  /** simulated inputs are unsupervised: never a wiring fault */
  wiringFault(): null {
    return null;
  }

  value(): boolean | undefined {
    return this.unavailableReason() ? undefined : this.level;
  }

  /**
   * Moves the input. Throws GatewayError('INPUT_INVALID') unless `value` is a boolean; returns
   * whether a `change` was emitted, and why not (not started, stopped, offline, no change).
   */
  set(value: boolean): SimDelivery {
    if (typeof value !== 'boolean') {
      throw new GatewayError('INPUT_INVALID', `sensor ${this.id}: the level is true or false`, { id: this.id, field: 'value' });
    }
    this.level = value;
    const at = this.clock.now();
    const unavailable = this.unavailableReason();
    const reason = unavailable ?? (value === this.reported ? `no change: already ${this.describe(value)}` : null);
    if (reason) {
      this.record({ at, value, delivered: false, reason });
      return { delivered: false, reason };
    }
    this.record({ at, value, delivered: true });
    this.report();
    return { delivered: true };
  }

  /** 'open', 'pressed', 'alarm', ... */
  describe(level: boolean): string {
    return LEVEL_NAMES[this.input][level ? 1 : 0];
  }

  protected override onReachable(): void {
    if (this.reported === undefined) this.reported = this.level;
    else if (this.reported !== this.level) this.report();
  }

  private report(): void {
    this.reported = this.level;
    this.emitGuarded('change', this.input, this.level);
  }
}
