/**
 * The actuator's ports, options and small rules, apart from its state machine
 * (nukiLockActuator.ts).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { ActuatorState } from '../../types.js';
import type { BleLink } from '../bleLink.js';
import type { NukiLockActionName, NukiLockState } from './nukiConstants.js';
import type { RandomBytes } from './nukiCrypto.js';
import type { NukiBattery, NukiKeyturnerStates } from './nukiMessages.js';
import type { NukiCredentials } from './nukiSession.js';

/** Opens a link to the lock's keyturner service (noble lives behind it). Rejects DEVICE_OFFLINE when the lock is not found. */
export interface NukiConnector {
  connect(): Promise<BleLink>;
}

/** The pairing secrets, decrypted by the caller's store; undefined when the lock was never paired. */
export interface NukiCredentialSource {
  load(): NukiCredentials | undefined;
}

export interface NukiLockActuatorOptions {
  id: string;
  connector: NukiConnector;
  credentials: NukiCredentialSource;
  clock: Clock;
  logger: Logger;
  /** 'on_demand' (default): connect for each exchange, then disconnect (saves the lock's battery); 'keep_alive': hold the link */
  link?: 'on_demand' | 'keep_alive';
  /** what unlock(ms) asks of the lock before re-locking after ms: 'unlatch' (default) or 'unlock' */
  unlockMode?: 'unlatch' | 'unlock';
  /** each answer before the lock accepted; default 5,000 */
  responseTimeoutMs?: number;
  /** ACCEPTED to COMPLETE (the motor's run); default 20,000 */
  completionTimeoutMs?: number;
  /** connect(); default 10,000 */
  connectTimeoutMs?: number;
  /** further attempts of an exchange the lock did not answer; default 2 */
  retries?: number;
  /** first wait between attempts and between reconnects, doubling; default 500 */
  backoffMs?: number;
  /** the longest wait between reconnects; default 60,000 */
  maxBackoffMs?: number;
  /** read the lock's state this often while online; 0 disables. Default 60,000 */
  pollMs?: number;
  /** below this charge (or on the lock's critical flag) `lowBattery` is emitted; default 20 */
  lowBatteryPercent?: number;
  /** the re-lock after unlock(ms) waits while the door sensor reports open, re-reading this often; default 2,000 */
  relockRetryMs?: number;
  random?: RandomBytes;
}

/**
 * The events a Nuki lock has beyond a DoorActuator's (on `actuator.nuki`, a separate emitter:
 * DoorActuator's own event map is closed). Emitted guarded, like the device's.
 */
export type NukiLockEvents = {
  /** every Keyturner States the lock sent */
  keyturner: [NukiKeyturnerStates];
  /** the battery went low (critical flag or below lowBatteryPercent): alarm-worthy; again only after it recovered */
  lowBattery: [NukiBattery];
  /**
   * the lock answers again after being offline (or at start): its state as read now and what
   * lockgw last intended. The door controller re-asserts lockdown here; the actuator itself
   * re-locks a lock it intended locked.
   */
  reconciled: [{ lockState: NukiLockState; intended: ActuatorState }];
  /** a lock action the lock did not confirm: it may or may not have moved */
  unconfirmed: [{ action: NukiLockActionName; reason: string }];
};

/** A lock in motion (unlocking, unlatching, locking) or not calibrated is 'unknown'. */
export function actuatorState(lockState: NukiLockState): ActuatorState {
  if (lockState === 'locked') return 'locked';
  if (lockState === 'unlocked' || lockState === 'unlatched' || lockState === 'unlocked_lock_n_go') return 'unlocked';
  return 'unknown';
}

/** Whether the lock's state after COMPLETE is what `action` was for. */
export function reached(action: NukiLockActionName, lockState: NukiLockState): boolean {
  return action === 'lock' ? lockState === 'locked' : actuatorState(lockState) === 'unlocked';
}

export function backoff(base: number, max: number, attempt: number): number {
  return Math.min(max, base * 2 ** Math.min(attempt, 30));
}

export function validated(o: NukiLockActuatorOptions): Required<Omit<NukiLockActuatorOptions, 'random'>> & Pick<NukiLockActuatorOptions, 'random'> {
  const v = {
    link: 'on_demand' as const, unlockMode: 'unlatch' as const, responseTimeoutMs: 5000, completionTimeoutMs: 20_000, connectTimeoutMs: 10_000,
    retries: 2, backoffMs: 500, maxBackoffMs: 60_000, pollMs: 60_000, lowBatteryPercent: 20, relockRetryMs: 2000, ...o,
  };
  const numbers = ['responseTimeoutMs', 'completionTimeoutMs', 'connectTimeoutMs', 'retries', 'backoffMs', 'maxBackoffMs', 'pollMs', 'lowBatteryPercent', 'relockRetryMs'] as const;
  for (const field of numbers) {
    if (!Number.isFinite(v[field]) || v[field] < 0) throw new GatewayError('CONFIG_INVALID', `nuki lock ${o.id}: ${field} must be a number >= 0`, { id: o.id, field });
  }
  if (v.link !== 'on_demand' && v.link !== 'keep_alive') throw new GatewayError('CONFIG_INVALID', `nuki lock ${o.id}: link must be on_demand or keep_alive`, { id: o.id, field: 'link' });
  if (v.unlockMode !== 'unlatch' && v.unlockMode !== 'unlock') throw new GatewayError('CONFIG_INVALID', `nuki lock ${o.id}: unlockMode must be unlatch or unlock`, { id: o.id, field: 'unlockMode' });
  return v;
}
