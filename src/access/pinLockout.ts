/**
 * PIN lockout policy (pure): after `maxFailures` wrong PINs in a row the keypad locks out for
 * `lockoutMs`, doubling with each further lockout up to `maxLockoutMs`. A grant resets it. The
 * state is persisted by the caller, so a restart does not reset an attacker's counter.
 */

/** How a keypad locks out (a door's `pin` settings, doors/doorConfig.ts). */
export interface LockoutPolicy {
  maxFailures: number;
  lockoutMs: number;
  maxLockoutMs: number;
}

export interface LockoutState {
  /** wrong PINs since the last grant or lockout */
  failures: number;
  /** lockouts since the last grant: the next one lasts lockoutMs × 2^level */
  level: number;
  /** epoch ms; locked out while now < lockedUntil */
  lockedUntil: number;
}

export const NO_LOCKOUT: LockoutState = { failures: 0, level: 0, lockedUntil: 0 };

export function isLockedOut(state: LockoutState, now: number): boolean {
  return now < state.lockedUntil;
}

export function afterFailure(state: LockoutState, policy: LockoutPolicy, now: number): { state: LockoutState; lockedOutForMs: number | null } {
  const failures = state.failures + 1;
  if (failures < policy.maxFailures) return { state: { ...state, failures }, lockedOutForMs: null };
  const ms = Math.min(policy.lockoutMs * 2 ** state.level, policy.maxLockoutMs);
  return { state: { failures: 0, level: state.level + 1, lockedUntil: now + ms }, lockedOutForMs: ms };
}

export function afterSuccess(): LockoutState {
  return NO_LOCKOUT;
}
