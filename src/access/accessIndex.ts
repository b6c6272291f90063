/**
 * The compiled, in-memory form of one revision of a site's access rules: what `decide` reads.
 *
 * Laid out for the memory system, because a decision's cost is the number of cold cache lines it
 * touches, not its instructions: the credential table (one slot + one key comparison), one
 * 16-byte credential record that already carries the person's state and the range of their
 * holdings, one interleaved holding record per key held, one key×door cell, and the schedule
 * masks (few, shared, hot). Built by compileIndex() from every record, or by patchIndex()
 * (indexPatch.ts) from the previous index and the records a delta changed; withLockdown() and
 * withRuntimeState() give a copy with other runtime state. Immutable except for use counts.
 */
import type { CredentialTable } from './credentialTable.js';
import type { HolidayCalendar } from './holidayCalendar.js';
import type { PackedStrings } from './packedStrings.js';
import type { MaskInterner } from './scheduleMask.js';
import type { ZoneClock } from './zoneClock.js';

export const CREDENTIAL_STATE = { active: 0, pending: 1, suspended: 2, lost: 3 } as const;
export const PERSON_STATE = { active: 0, suspended: 1, hostRevoked: 2 } as const;

/** Bits of a credential record's flags word. */
export const FLAG = {
  /** bits 0–1: CREDENTIAL_STATE */
  stateMask: 0b11,
  duress: 1 << 2,
  /** the credential has its own validFrom/validUntil (read credentialFrom/Until) */
  ownValidity: 1 << 3,
  /** the credential has a use limit (read credentialUseLimit/Uses) */
  useLimit: 1 << 4,
  /** bits 5–6: PERSON_STATE of its holder */
  personShift: 5,
  personMask: 0b11 << 5,
  /** the holder gets extended unlock time (accessibility) */
  extendedUnlock: 1 << 7,
  /** the holder is staff (first-person-in passage) */
  staff: 1 << 8,
  /** bits 9–11: the credential's offline class (OFFLINE_CLASS_CODE, offlineClass.ts) */
  classShift: 9,
  classMask: 0b111 << 9,
} as const;

/** Stride of credentialRecord: person, flags, first holding, end of holdings, table entry. */
export const RECORD = 5;
/** Stride of holdings: key (-1: unusable), validFrom, validUntil (±Infinity when open). */
export const HOLDING = 3;
/** keyDoorSet value meaning "this key opens this door 24/7" (no schedule, holidays included). */
export const ALWAYS_SET = 1;

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
  /** schedule id → its mask id in `masks` (door passage schedules) */
  readonly scheduleMasks: ReadonlyMap<string, number>;

  readonly doorIndex: ReadonlyMap<string, number>;
  readonly doorIds: readonly string[];
  readonly doorCardAndPin: Uint8Array;
  readonly doorLocked: Uint8Array;
  readonly siteLocked: boolean;

  readonly credentials: CredentialTable;
  /**
   * RECORD ints per credential: person, flags (FLAG), holdings start, holdings end (× HOLDING),
   * and its entry in `credentials` (the id is decoded from there only for a verdict)
   */
  readonly credentialRecord: Int32Array;
  /**
   * Few credentials have their own validity or a use limit, so those live in short side arrays:
   * credentialExtra[c] is the credential's row in them (-1: none).
   */
  readonly credentialExtra: Int32Array;
  readonly extraFrom: Float64Array;
  readonly extraUntil: Float64Array;
  /** 0 = no limit */
  readonly extraUseLimit: Int32Array;
  /** grants so far, for use-limited credentials; updated by noteUse */
  readonly extraUses: Int32Array;
  /** the ids of the use-limited credentials, in ascending byte order (limitedCredentialOf) */
  readonly limitedIds: PackedStrings;
  /** the credential number of each of limitedIds */
  readonly limitedCredential: Int32Array;

  /** by person number; packed, because 200,000 strings would be cloned one by one between threads */
  readonly personIds: PackedStrings;
  /** how many of personIds, from the first, are in ascending byte order (a patch appends new people) */
  readonly sortedPeople: number;
  /** HOLDING numbers per holding, grouped by person */
  readonly holdings: Float64Array;

  readonly keyIds: readonly string[];
  /**
   * keyDoorSet[key * doorCount + door]: 0 = the key does not open the door; ALWAYS_SET = 24/7;
   * otherwise s + 2 where the door's schedules are the masks maskSetMembers[maskSetStart[s] ..
   * maskSetStart[s + 1]) (a union: any of them admits).
   */
  readonly keyDoorSet: Int32Array;
  readonly maskSetStart: Int32Array;
  readonly maskSetMembers: Int32Array;

  readonly counts: { readonly doors: number; readonly keys: number; readonly people: number; readonly credentials: number; readonly holdings: number; readonly masks: number; readonly maskSets: number };
}

/** The credential number of a use-limited credential, or -1 (no such credential, or no limit). */
export function limitedCredentialOf(index: AccessIndex, credentialId: string): number {
  const at = index.limitedIds.indexOfSorted(credentialId);
  return at < 0 ? -1 : index.limitedCredential[at]!;
}

/**
 * Counts one grant of a use-limited credential in the index, so the next decision sees it
 * (the store persists the same count). Returns the new count, or null if it has no limit.
 */
export function noteUse(index: AccessIndex, credentialId: string): number | null {
  const c = limitedCredentialOf(index, credentialId);
  if (c < 0) return null;
  const x = index.credentialExtra[c]!;
  index.extraUses[x] = (index.extraUses[x] ?? 0) + 1;
  return index.extraUses[x]!;
}

/**
 * The same index with another lockdown state: lockdown is runtime state, not content, so it
 * needs no rebuild (an emergency lockdown on a million-credential site must not wait seconds).
 * The hash does not cover lockdown and stays the same.
 */
export function withLockdown(index: AccessIndex, lockdown: { site: boolean; doors: readonly string[] }): AccessIndex {
  const doorLocked = new Uint8Array(index.doorIds.length);
  for (const id of lockdown.doors) {
    const d = index.doorIndex.get(id);
    if (d !== undefined) doorLocked[d] = 1;
  }
  return { ...index, doorLocked, siteLocked: lockdown.site };
}
