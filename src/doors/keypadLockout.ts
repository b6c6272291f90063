/**
 * The keypad lockout of one door: its wrong-PIN counter (the policy is access/pinLockout.ts),
 * loaded when the door starts and saved at every change, so a restart does not reset an
 * attacker's count. A save that fails is logged, and the door keeps counting in memory.
 */
import type { Logger } from 'pino';
import { afterFailure, afterSuccess, isLockedOut, type LockoutPolicy, type LockoutState } from '../access/pinLockout.js';
import type { Verdict } from '../access/verdict.js';

/** the denials that mean the PIN itself was wrong */
const PIN_DENIALS: ReadonlySet<string> = new Set(['unknown_credential', 'second_factor_mismatch']);

/** Where the counters persist (DoorContext.lockouts). */
export interface LockoutStore {
  load(doorId: string): LockoutState;
  save(doorId: string, state: LockoutState): void;
}

export class KeypadLockout {
  private state: LockoutState = { failures: 0, level: 0, lockedUntil: 0 };

  /** `onLockout` runs when wrong PINs start a lockout of `ms`, the `level`th in a row. */
  constructor(
    private readonly doorId: string,
    private readonly policy: LockoutPolicy,
    private readonly store: LockoutStore,
    private readonly log: Logger,
    private readonly onLockout: (ms: number, level: number) => void,
  ) {}

  /** Reads the persisted counter (at the door's start). */
  load(): void {
    this.state = this.store.load(this.doorId);
  }

  /** when the lockout running at `now` ends; null when the keypad is not locked out */
  lockedUntil(now: number): number | null {
    return isLockedOut(this.state, now) ? this.state.lockedUntil : null;
  }

  /** Counts the decision on a submitted PIN: a grant resets the counter, a wrong PIN counts towards a lockout. */
  count(verdict: Verdict, now: number): void {
    if (verdict.grant) {
      if (this.state.failures !== 0 || this.state.level !== 0) this.save(afterSuccess());
      return;
    }
    if (!PIN_DENIALS.has(verdict.reason)) return;
    const { state, lockedOutForMs } = afterFailure(this.state, this.policy, now);
    this.save(state);
    if (lockedOutForMs !== null) this.onLockout(lockedOutForMs, state.level);
  }

  private save(state: LockoutState): void {
    this.state = state;
    try {
      this.store.save(this.doorId, state);
    } catch (err) {
      this.log.error({ err }, 'could not persist the PIN lockout counter');
    }
  }
}
