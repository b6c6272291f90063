/**
 * What the control socket's streams act on at the door (watch, door test, learn, fingerprint),
 * declared here and implemented by the composition root (app/doorCommissioning.ts). Every method
 * that acts on a real door is called only for a proven operator, whom it journals. Listeners are
 * called synchronously from the door's event loop and must be quick; each `watch*` returns the
 * function that stops it.
 */
import type { Health, IndicatorPattern, SensorInput } from '../hal/types.js';
import type { JournalEntry } from '../journal/journalCodec.js';
import type { ControlCaller } from '../wire/controlProtocol.js';

/** A device's health changed. `doorId` is null for the site's fire input. */
export interface HealthChange {
  device: string;
  doorId: string | null;
  health: Health;
}

/** An input's level: `null` when unknown (never read, offline, or a faulted loop). */
export interface InputLevel {
  input: SensorInput;
  value: boolean | null;
  at: number;
}

export interface DeviceHealth {
  device: string;
  health: Health;
}

/** What a learn mode tells its one listener (the installer's connection). */
export interface LearnReport {
  learned(credential: { kind: 'card' | 'pin'; value: string }): void;
  ended(reason: 'learned' | 'timeout' | 'cancelled' | 'stopped'): void;
}

export type EnrolStep = 'place' | 'lift' | 'place-again' | 'stored';

export interface CommissioningTarget {
  /** every journal entry as it is appended, in order */
  watchEvents(listener: (entry: JournalEntry) => void): () => void;
  /** every health change of every door's devices and of the fire input */
  watchHealth(listener: (change: HealthChange) => void): () => void;
  /**
   * The door test's strike pulse (DoorController.testPulse): NOT_FOUND for a door this gateway
   * does not run; UNAVAILABLE in lockdown unless `force`; DEVICE_OFFLINE with the actuator offline.
   */
  testPulse(doorId: string, caller: ControlCaller, force: boolean): { released: boolean; ms: number; note: string };
  /** One indicator pattern at the door; `shown` false with why when it is offline, and `missing` when the door has none. */
  showPattern(doorId: string, pattern: IndicatorPattern): Promise<{ shown: boolean; note?: string; missing?: boolean }>;
  /** the indicator back to the door mode's pattern */
  restorePattern(doorId: string): void;
  /** the health of each of the door's devices, and of the site's fire input */
  deviceHealth(doorId: string): DeviceHealth[];
  /** the door's contact and REX and the site's fire input: their levels now, then every change until stopped */
  watchInputs(doorId: string, listener: (level: InputLevel) => void): { levels: InputLevel[]; stop(): void };
  /** learn mode at the door for `forMs` (DoorController.startLearning); returns the cancel function */
  learn(doorId: string, forMs: number, caller: ControlCaller, report: LearnReport): () => void;
  /**
   * Enrols a finger at `slot` of the door's R30x sensor, telling each step; journaled
   * `fingerprint_enrolled` with the caller. NOT_FOUND for an unknown door, UNAVAILABLE for a
   * door without an R30x sensor; the driver's DEVICE_OFFLINE, DEVICE_TIMEOUT, DEVICE_ERROR,
   * INPUT_INVALID (slot beyond the library) otherwise.
   */
  enrollFingerprint(doorId: string, slot: number, caller: ControlCaller, step: (step: EnrolStep) => void): Promise<void>;
  /** Deletes the template at `slot`; journaled `fingerprint_deleted`; errors as enrollFingerprint. */
  deleteFingerprint(doorId: string, slot: number, caller: ControlCaller): Promise<void>;
}
