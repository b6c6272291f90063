/**
 * The hardware contract. Types only: every driver (simulated, serial, BLE) implements these,
 * and the door controllers in src/doors/ see nothing else. The composition root hands drivers to
 * the core; the core never imports a driver by path.
 *
 * Common rules for every device:
 *  - The constructor does no I/O. `start()` opens the device; it resolves once the device is
 *    usable or has reported a health state saying why not (a missing adapter is `offline` with a
 *    reason, never an exception that takes the daemon down). `start()` rejects only on
 *    configuration errors (GatewayError 'CONFIG_INVALID').
 *  - `stop()` releases the device and resolves even if the device is gone. An actuator's
 *    `stop()` de-energises it first (a crash or a stop never leaves a relay energised).
 *  - Health is `online | degraded | offline` with a human-readable reason; every change is
 *    emitted as a `health` event. Commands to an offline device reject with
 *    GatewayError('DEVICE_OFFLINE'); a command the device does not confirm in time rejects with
 *    GatewayError('DEVICE_TIMEOUT') and the device becomes `degraded` or `offline`.
 *  - Bad input from the wire (corrupt, partial, out-of-protocol bytes) never produces an event
 *    that could open a door: the driver drops it, counts it, and may report `degraded`.
 *  - Listeners are called synchronously from the driver's I/O callback; a listener that throws
 *    is the listener owner's bug and must not break the driver (drivers guard their emits).
 */
import type { EventEmitter } from 'node:events';

export type HealthState = 'online' | 'degraded' | 'offline';

export interface Health {
  state: HealthState;
  /** why, for the installer: "no heartbeat from the Wiegand bridge for 5 s" */
  reason: string;
  /** epoch ms of the change, from the injected Clock */
  since: number;
}

/** Event maps are type aliases (not interfaces) so Node's EventEmitter<T> can check them. */
export type DeviceEvents = {
  health: [Health];
};

export interface Device<E extends DeviceEvents & Record<keyof E, unknown[]> = DeviceEvents> extends EventEmitter<E> {
  /** unique per gateway, from the config */
  readonly id: string;
  /** the current health; before start(): offline, 'not started' */
  health(): Health;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * What a reader saw, normalised at the edge. A reader emits only what decoded cleanly
 * (parity, length, checksum all verified).
 *  - card:        normalised card number (src/kernel/cardNumber.ts), e.g. 26:12:34567
 *  - keys:        keypad keys in the order pressed: digits, '*' and '#'. Bursts may carry one
 *                 key or several; the door controller assembles PINs.
 *  - fingerprint: a match: `readerId:slot` as the value, with the sensor's confidence
 *  - mobile:      a phone key id whose challenge-response verified (src/hal/ble/phoneKey), with
 *                 the access document the phone carried, if any, as it carried it (the engine
 *                 verifies it)
 */
export type ReaderInput =
  | { kind: 'card'; value: string; bits: number }
  | { kind: 'keys'; keys: string }
  | { kind: 'fingerprint'; value: string; confidence: number }
  | { kind: 'mobile'; value: string; documentToken?: string };

export type CredentialReaderEvents = DeviceEvents & {
  input: [ReaderInput];
};

/**
 * A card reader, keypad, fingerprint sensor or phone-key radio. Emits `input` for each clean
 * read. A silent link (no heartbeat) makes it `offline`; it recovers by itself when the link
 * speaks again and emits `health` online.
 */
export interface CredentialReader extends Device<CredentialReaderEvents> {
  readonly kind: 'reader';
}

export type ActuatorState = 'locked' | 'unlocked' | 'unknown';

export type ActuatorEvents = DeviceEvents & {
  state: [ActuatorState];
};

/**
 * A strike, maglock or motor lock behind a relay. `unlock(ms)` releases for `ms` and re-locks by
 * itself (the driver owns the timer through the injected clock/timers); calling it again while
 * unlocked extends the release. `lock()` re-locks now. `hold(true)` releases until
 * `hold(false)` (passage mode, fire release). Both resolve when the hardware confirmed or was
 * commanded (drivers without feedback resolve after the write). Fail-secure or fail-safe is a
 * property of the wiring, reported by `failSafe`: a fail-safe lock is released when unpowered.
 */
export interface DoorActuator extends Device<ActuatorEvents> {
  readonly kind: 'actuator';
  readonly failSafe: boolean;
  state(): ActuatorState;
  unlock(ms: number): Promise<void>;
  lock(): Promise<void>;
  hold(released: boolean): Promise<void>;
}

/** door: true = open; rex: true = pressed; fire: true = alarm active */
export type SensorInput = 'door' | 'rex' | 'fire';

/**
 * A supervised input's wiring fault (end-of-line resistors): the loop is open-circuit (`cut`)
 * or short-circuited (`short`), so its level cannot be known. Unsupervised inputs never fault.
 */
export type SensorFault = 'cut' | 'short';

export type SensorEvents = DeviceEvents & {
  change: [SensorInput, boolean];
  /** a wiring fault began (`cut` | `short`) or ended (null) */
  wiringFault: [SensorFault | null];
};

/**
 * A door contact, request-to-exit button or fire/egress input. Emits `change` on every
 * debounced edge; `value()` is the last known level (undefined when never read, offline or
 * faulted). A supervised input reports a cut or shorted loop by `wiringFault()` and a `wiringFault` event
 * (and health `degraded` with the reason); its level is unknown until the loop is sound again,
 * when `wiringFault` is emitted with null and then `change` if the level differs from the last one
 * reported. An offline or faulted fire input is reported by health; the site decides what that
 * means (its documented fail-safe choice).
 */
export interface DoorSensor extends Device<SensorEvents> {
  readonly kind: 'sensor';
  readonly input: SensorInput;
  value(): boolean | undefined;
  /** the wiring fault now, or null (always null for an unsupervised input) */
  wiringFault(): SensorFault | null;
}

export type IndicatorPattern = 'idle' | 'granted' | 'denied' | 'pin_entry' | 'alarm' | 'lockdown' | 'passage';

/** A reader's LED and buzzer. `show` never throws for a device that is offline: it records. */
export interface Indicator extends Device {
  readonly kind: 'indicator';
  show(pattern: IndicatorPattern): Promise<void>;
}
