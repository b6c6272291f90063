/**
 * The site's fire/egress input and what it means for the doors. Active → every door with
 * fireRelease is released (DoorController.setFire); it needs nothing but the input: no database,
 * no rules, no cloud. A supervised loop that is cut or shorted leaves the panel's state unknown:
 * with `onFault: release` (the default) the doors are released while the fault lasts, with
 * `hold` they stay as they are; `fire_input_fault` / `fire_input_fault_cleared` are journaled
 * either way. An input that goes offline (its bridge is silent) keeps the last known state and
 * journals `fire_input_offline` / `fire_input_online`: a bridge reset must not lock people in.
 */
import type { Logger } from 'pino';
import type { DoorSensor, Health, SensorFault } from '../hal/types.js';
import type { JournalEvent } from '../journal/journalCodec.js';
import { DeviceListeners } from './deviceListeners.js';

export interface FireReleaseOptions {
  input: DoorSensor;
  onFault: 'release' | 'hold';
  /** releases (true) or restores (false) the doors */
  setFire(active: boolean): void;
  record(event: Omit<JournalEvent, 'at'>): void;
  logger: Logger;
}

export class FireRelease {
  private readonly listeners: DeviceListeners;
  private readonly log: Logger;
  /** the panel's last known level */
  private alarm = false;
  private fault: SensorFault | null = null;
  private offline = false;
  private released: boolean | null = null;

  constructor(private readonly options: FireReleaseOptions) {
    this.log = options.logger.child({ module: 'fire' });
    this.listeners = new DeviceListeners(this.log);
  }

  /** Listens to the input (already started) and applies its current state. */
  start(): void {
    const { input } = this.options;
    this.listeners.on(input, 'change', (_: string, active: boolean) => this.onLevel(active));
    this.listeners.on(input, 'wiringFault', (fault: SensorFault | null) => this.onFault(fault));
    this.listeners.on(input, 'health', (h: Health) => this.onHealth(h));
    this.alarm = input.value() === true;
    const fault = input.wiringFault();
    if (fault) this.onFault(fault);
    if (input.health().state === 'offline') this.onHealth(input.health());
    this.apply();
  }

  stop(): void {
    this.listeners.removeAll();
  }

  /** What the site does now, for status. */
  state(): { active: boolean; alarm: boolean; fault: SensorFault | null; offline: boolean } {
    return { active: this.released === true, alarm: this.alarm, fault: this.fault, offline: this.offline };
  }

  private onLevel(active: boolean): void {
    this.alarm = active;
    this.apply();
  }

  private onFault(fault: SensorFault | null): void {
    if (fault === this.fault) return;
    const was = this.fault;
    this.fault = fault;
    if (fault) {
      this.log.error({ fault, onFault: this.options.onFault }, `the fire input's loop is ${fault === 'cut' ? 'cut' : 'shorted'}: ${this.options.onFault === 'release' ? 'releasing the fire-release doors until it is repaired' : 'doors kept as they are (onFault: hold)'}`);
      this.record('fire_input_fault', { fault, onFault: this.options.onFault });
    } else {
      this.log.warn({ was }, "the fire input's loop is sound again");
      this.record('fire_input_fault_cleared', { was });
      // the level is unknown until the input reports it again
      this.alarm = this.options.input.value() === true;
    }
    this.apply();
  }

  private onHealth(health: Health): void {
    const offline = health.state === 'offline';
    if (offline === this.offline) return;
    this.offline = offline;
    if (offline) this.log.error({ reason: health.reason }, `the fire input is offline: keeping its last state (${this.alarm ? 'alarm' : 'normal'})`);
    this.record(offline ? 'fire_input_offline' : 'fire_input_online', { reason: health.reason });
  }

  private apply(): void {
    const release = this.alarm || (this.fault !== null && this.options.onFault === 'release');
    if (release === this.released) return;
    this.released = release;
    this.options.setFire(release);
  }

  private record(reason: string, data: Record<string, unknown>): void {
    try {
      this.options.record({ type: 'alarm', reason, data });
    } catch (err) {
      this.log.error({ err, reason }, 'could not record a fire-input event');
    }
  }
}
