/**
 * What decide() is told about the gateway's own knowledge, besides the rules and `now`
 * (docs/access-model.md "Offline leases" and "Clock trust"). The engine works it out; decide()
 * only reads it, so it stays pure.
 */
import { OFFLINE_CLASS_CODE, type OfflineClass } from './offlineClass.js';

export interface DecisionTrust {
  /**
   * false: the system clock is not trusted (set back, stepped, or disagreeing with the cloud):
   * a grant that depends on the time (a validity window or a schedule) is denied clock_untrusted
   */
  readonly clockTrusted: boolean;
  /** bit (1 << OFFLINE_CLASS_CODE[c]) set: class c is past its offline lease and does not fail open */
  readonly expiredClasses: number;
}

/** A gateway with no cloud: no lease, and a clock nothing contradicts. */
export const STANDALONE_TRUST: DecisionTrust = { clockTrusted: true, expiredClasses: 0 };

export function classBit(c: OfflineClass): number {
  return 1 << OFFLINE_CLASS_CODE[c];
}
