/**
 * The compiled, in-memory form of one revision of a site's access rules: what `decide` reads.
 * Struct-of-arrays indexed by small integers so a decision is a map lookup, a few array reads,
 * instant comparisons and one bit test, and a million credentials fit in a Pi's memory.
 *
 * Built only by compileIndex(); immutable except for use counts (noteUse).
 */
import type { HolidayCalendar } from './holidayCalendar.js';
import type { CredentialKind } from './model.js';
import type { MaskInterner } from './scheduleMask.js';
import type { ZoneClock } from './zoneClock.js';

export const CREDENTIAL_STATE = { active: 0, pending: 1, suspended: 2, lost: 3 } as const;
export const PERSON_STATE = { active: 0, suspended: 1, hostRevoked: 2 } as const;

export interface AccessIndex {
  readonly revision: number;
  /** sha-256 of the canonical content (see docs/access-model.md) */
  readonly hash: string;
  readonly siteId: string | null;
  readonly siteName: string | null;
  readonly timeZone: string;
  readonly zone: ZoneClock;
  readonly holidays: HolidayCalendar;
  readonly masks: MaskInterner;

  readonly doorIndex: ReadonlyMap<string, number>;
  readonly doorIds: readonly string[];
  readonly doorCardAndPin: Uint8Array;
  readonly doorLocked: Uint8Array;
  readonly siteLocked: boolean;

  /** normalised value → credential number, one map per kind */
  readonly credentialsByKind: Readonly<Record<CredentialKind, ReadonlyMap<string, number>>>;
  readonly credentialIds: readonly string[];
  readonly credentialPerson: Int32Array;
  readonly credentialState: Uint8Array;
  readonly credentialFrom: Float64Array;
  readonly credentialUntil: Float64Array;
  /** 0 = no limit */
  readonly credentialUseLimit: Int32Array;
  /** grants so far, for use-limited credentials; updated by noteUse */
  readonly credentialUses: Int32Array;
  readonly credentialDuress: Uint8Array;
  /** only the use-limited credentials, by id */
  readonly limitedCredentials: ReadonlyMap<string, number>;

  readonly personIds: readonly string[];
  readonly personState: Uint8Array;
  readonly personExtendedUnlock: Uint8Array;
  /** holdings of person p are [holdingStart[p], holdingStart[p+1]) */
  readonly holdingStart: Int32Array;
  readonly holdingKey: Int32Array;
  readonly holdingFrom: Float64Array;
  readonly holdingUntil: Float64Array;

  readonly keyIds: readonly string[];
  /** keyDoorMask[key * doorCount + door] = mask id + 1, or 0 when the key does not open the door */
  readonly keyDoorMask: Int32Array;

  readonly counts: { readonly doors: number; readonly keys: number; readonly people: number; readonly credentials: number; readonly holdings: number; readonly masks: number };
}

/**
 * Counts one grant of a use-limited credential in the index, so the next decision sees it
 * (the store persists the same count). Returns the new count, or null if it has no limit.
 */
export function noteUse(index: AccessIndex, credentialId: string): number | null {
  const c = index.limitedCredentials.get(credentialId);
  if (c === undefined) return null;
  index.credentialUses[c] = (index.credentialUses[c] ?? 0) + 1;
  return index.credentialUses[c]!;
}
