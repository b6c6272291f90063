/**
 * The shared base of the simulated devices: lifecycle, health with injected faults, a bounded
 * recording, and guarded emits. A simulated device is a product — the demo site's doors run on
 * it, tests drive it from code and a person drives it through the control socket — so every
 * instance keeps its own state and nothing here is module-level.
 *
 * Health: before start() offline 'not started'; after stop() offline 'stopped'; while started,
 * online 'simulated' unless a fault was injected with setOffline()/setDegraded(). A fault injected
 * before start() shows once the device starts (a device unplugged at boot). Guarded emits and
 * health transitions are DeviceBase's.
 */
import { pino, type Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { DeviceBase, STOPPED } from '../deviceBase.js';
import type { DeviceEvents, HealthState } from '../types.js';
import { Recording } from './recording.js';

export interface SimDeviceOptions {
  /** unique per gateway; letters, digits and . _ : @ - (like every id in the access model) */
  id: string;
  clock: Clock;
  /** listener failures and health changes are logged here; default: silent */
  logger?: Logger;
  /** recording entries kept, newest last; default 1000 */
  recordLimit?: number;
}

/** What a simulated input did: emitted, or why not (not started, stopped, offline, no change). */
export type SimDelivery = { delivered: true } | { delivered: false; reason: string };

interface Fault {
  state: Exclude<HealthState, 'online'>;
  reason: string;
  /** set by the device itself (an injected timeout); the next confirmed command clears it */
  transient: boolean;
}

const ID_FORMAT = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Whether `value` is an id as the access model spells them (device, reader, mobile key). */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_FORMAT.test(value);
}

/** Throws CONFIG_INVALID unless `value` is a valid device or reader id. */
export function checkId(value: unknown, field: string): void {
  if (!isId(value)) {
    throw new GatewayError('CONFIG_INVALID', `${field} must be 1–128 letters, digits or . _ : @ -`, { field });
  }
}

export abstract class SimDevice<E extends DeviceEvents & Record<keyof E, unknown[]>, R> extends DeviceBase<E> {
  private readonly recordLimit: number;
  private readonly entries: Recording<R>;
  private lifecycle: 'new' | 'started' | 'stopped' = 'new';
  private fault: Fault | null = null;

  constructor(options: SimDeviceOptions) {
    const log = (options.logger ?? pino({ level: 'silent' })).child({ module: 'hal:sim', device: options.id });
    super({ id: options.id, clock: options.clock, log });
    this.recordLimit = options.recordLimit ?? 1000;
    this.entries = new Recording<R>(this.recordLimit);
  }

  /** Rejects with CONFIG_INVALID on a bad id or option; otherwise the device is started. */
  async start(): Promise<void> {
    if (this.lifecycle === 'started') return;
    this.checkOptions();
    this.lifecycle = 'started';
    this.refreshHealth();
    this.onStart();
  }

  async stop(): Promise<void> {
    if (this.lifecycle !== 'started') return;
    this.onStop();
    this.lifecycle = 'stopped';
    this.refreshHealth();
  }

  /** Simulates a lost link: inputs are not delivered, commands reject with DEVICE_OFFLINE. */
  setOffline(reason = 'simulated fault'): void {
    this.fault = { state: 'offline', reason, transient: false };
    this.refreshHealth();
  }

  /** Simulates a device that works but is not well (bad reads, slow confirmations). */
  setDegraded(reason = 'simulated degradation'): void {
    this.fault = { state: 'degraded', reason, transient: false };
    this.refreshHealth();
  }

  /** Clears an injected fault. */
  setOnline(): void {
    this.fault = null;
    this.refreshHealth();
  }

  /** What the device was asked to do, oldest first (a copy). */
  get recording(): R[] {
    return this.entries.entries();
  }

  /** Entries dropped from a full recording. */
  recordingDropped(): number {
    return this.entries.dropped();
  }

  clearRecording(): void {
    this.entries.clear();
  }

  protected record(entry: R): void {
    this.entries.add(entry);
  }

  /** Why an input or command cannot reach the device now, or null when it can. */
  protected unavailableReason(): string | null {
    if (this.lifecycle === 'new') return 'not started';
    if (this.lifecycle === 'stopped') return 'stopped';
    if (this.fault?.state === 'offline') return `offline: ${this.fault.reason}`;
    return null;
  }

  /** A fault the device raised itself, cleared by clearTransientFault() (or setOnline()). */
  protected setTransientFault(state: Fault['state'], reason: string): void {
    if (this.fault && !this.fault.transient) return;
    this.fault = { state, reason, transient: true };
    this.refreshHealth();
  }

  protected clearTransientFault(): void {
    if (!this.fault?.transient) return;
    this.fault = null;
    this.refreshHealth();
  }

  /** Subclasses check their own options here (CONFIG_INVALID). */
  protected checkOptions(): void {
    checkId(this.id, 'id');
    if (!Number.isSafeInteger(this.recordLimit) || this.recordLimit < 1) {
      throw new GatewayError('CONFIG_INVALID', `recordLimit of ${this.id} must be a positive integer`, { id: this.id, field: 'recordLimit' });
    }
  }

  /** Called once per start(), after health is updated. */
  protected onStart(): void {}

  /** Called once per stop(), before health turns offline 'stopped'. */
  protected onStop(): void {}

  /** Called when a started device becomes reachable again (start, or a fault cleared). */
  protected onReachable(): void {}

  private refreshHealth(): void {
    const [state, reason] = this.wantedHealth();
    const wasOffline = this.health().state === 'offline';
    if (!this.setHealth(state, reason)) return;
    if (wasOffline && state !== 'offline' && this.lifecycle === 'started') this.onReachable();
  }

  private wantedHealth(): [HealthState, string] {
    if (this.lifecycle === 'new') return ['offline', 'not started'];
    if (this.lifecycle === 'stopped') return ['offline', STOPPED];
    if (this.fault) return [this.fault.state, this.fault.reason];
    return ['online', 'simulated'];
  }
}
