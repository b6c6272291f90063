/**
 * decide(index, presentation, now): may this credential open this door now?
 *
 * Total: every input, however malformed, gets a Verdict with a reason; it never throws.
 * Pure: it reads the index and `now` only. Checks run in this order (the first failing one
 * is the reason):
 *   1. presentation well-formed              invalid_presentation
 *   2. door known                            unknown_door
 *   3. credential known                      unknown_credential
 *   4. door or site locked down              locked_down
 *   5. credential status                     credential_pending | credential_suspended | credential_lost
 *   6. person status, guest's host           person_suspended | host_revoked
 *   7. credential's own validity             not_yet_valid | expired
 *   8. use limit                             use_limit_reached
 *   9. the person's keys for this door       door_not_in_key; otherwise the first key whose holding
 *      is valid now and whose schedule admits now grants. If none does, the reason is the most
 *      actionable one seen: holiday (a holiday closed what the weekday would open) >
 *      outside_schedule > not_yet_valid > expired.
 *  10. card+PIN doors: a card needs the holder's PIN; a PIN alone is not enough
 *                                           second_factor_required | second_factor_mismatch
 *      (fingerprint and mobile keys are strong factors and open card+PIN doors alone)
 *  11. a duress credential (card or PIN) grants with reason duress and alarm: true.
 */
import { CREDENTIAL_STATE, PERSON_STATE, type AccessIndex } from './accessIndex.js';
import type { CredentialKind } from './model.js';
import { maskAllows, maskAllowsIgnoringHolidays } from './scheduleMask.js';
import type { Presentation, Reason, Verdict } from './verdict.js';

const MAX_VALUE_LENGTH = 512;
const KINDS: ReadonlySet<string> = new Set<CredentialKind>(['pin', 'card', 'fingerprint', 'mobile']);

function verdict(index: AccessIndex | null, reason: Reason, doorId: string | null, person = -1, key = -1, credential = -1): Verdict {
  const grant = reason === 'granted' || reason === 'duress';
  return {
    grant,
    reason,
    doorId,
    personId: index && person >= 0 ? (index.personIds[person] ?? null) : null,
    keyId: index && key >= 0 ? (index.keyIds[key] ?? null) : null,
    credentialId: index && credential >= 0 ? (index.credentialIds[credential] ?? null) : null,
    revision: index && typeof index.revision === 'number' ? index.revision : 0,
    alarm: reason === 'duress',
  };
}

function isPresentation(p: unknown): p is Presentation {
  if (typeof p !== 'object' || p === null) return false;
  const r = p as Record<string, unknown>;
  return (
    typeof r.doorId === 'string' && typeof r.kind === 'string' && KINDS.has(r.kind) &&
    typeof r.value === 'string' && r.value.length > 0 && r.value.length <= MAX_VALUE_LENGTH &&
    (r.pinDigest === undefined || (typeof r.pinDigest === 'string' && r.pinDigest.length <= MAX_VALUE_LENGTH))
  );
}

/** Why this credential (on its own) may not be used now, or null if it may. Steps 5–8. */
function credentialBlock(index: AccessIndex, c: number, now: number): Reason | null {
  const state = index.credentialState[c];
  if (state !== CREDENTIAL_STATE.active) {
    return state === CREDENTIAL_STATE.pending ? 'credential_pending' : state === CREDENTIAL_STATE.lost ? 'credential_lost' : 'credential_suspended';
  }
  const p = index.credentialPerson[c]!;
  const ps = index.personState[p];
  if (ps === PERSON_STATE.suspended) return 'person_suspended';
  if (ps === PERSON_STATE.hostRevoked) return 'host_revoked';
  if (now < index.credentialFrom[c]!) return 'not_yet_valid';
  if (now >= index.credentialUntil[c]!) return 'expired';
  const limit = index.credentialUseLimit[c]!;
  if (limit > 0 && index.credentialUses[c]! >= limit) return 'use_limit_reached';
  return null;
}

export function decide(index: AccessIndex, presentation: unknown, now: number): Verdict {
  try {
    return decideUnchecked(index, presentation, now);
  } catch {
    // unreachable with a well-formed index; a corrupt one must still deny, not crash the door
    return verdict(null, 'invalid_presentation', null);
  }
}

function decideUnchecked(index: AccessIndex, presentation: unknown, now: number): Verdict {
  if (!isPresentation(presentation) || typeof now !== 'number' || !Number.isFinite(now)) {
    const doorId = typeof presentation === 'object' && presentation !== null && typeof (presentation as { doorId?: unknown }).doorId === 'string'
      ? ((presentation as { doorId: string }).doorId.slice(0, 128)) : null;
    return verdict(index, 'invalid_presentation', doorId);
  }
  const doorId = presentation.doorId;
  const door = index.doorIndex.get(doorId);
  if (door === undefined) return verdict(index, 'unknown_door', null);
  const c = index.credentialsByKind[presentation.kind].get(presentation.value);
  if (c === undefined) return verdict(index, 'unknown_credential', doorId);
  const person = index.credentialPerson[c]!;
  if (index.siteLocked || index.doorLocked[door] === 1) return verdict(index, 'locked_down', doorId, person, -1, c);
  const blocked = credentialBlock(index, c, now);
  if (blocked !== null) return verdict(index, blocked, doorId, person, -1, c);

  // step 9: the person's keys for this door
  const doorCount = index.doorIds.length;
  let local = NaN;
  let inKey = false;
  let sawHoliday = false;
  let sawOutside = false;
  let sawNotYet = false;
  let grantingKey = -1;
  for (let h = index.holdingStart[person]!, end = index.holdingStart[person + 1]!; h < end; h++) {
    const key = index.holdingKey[h]!;
    if (key < 0) continue;
    const maskPlusOne = index.keyDoorMask[key * doorCount + door]!;
    if (maskPlusOne === 0) continue;
    inKey = true;
    if (now < index.holdingFrom[h]!) { sawNotYet = true; continue; }
    if (now >= index.holdingUntil[h]!) continue;
    if (local !== local) local = index.zone.localMinutes(now);
    const mask = index.masks.get(maskPlusOne - 1);
    if (maskAllows(mask, local, index.holidays)) { grantingKey = key; break; }
    if (maskAllowsIgnoringHolidays(mask, local)) sawHoliday = true;
    else sawOutside = true;
  }
  if (!inKey) return verdict(index, 'door_not_in_key', doorId, person, -1, c);
  if (grantingKey < 0) {
    const reason: Reason = sawHoliday ? 'holiday' : sawOutside ? 'outside_schedule' : sawNotYet ? 'not_yet_valid' : 'expired';
    return verdict(index, reason, doorId, person, -1, c);
  }

  // step 10: card+PIN doors
  let duress = index.credentialDuress[c] === 1;
  if (index.doorCardAndPin[door] === 1 && (presentation.kind === 'card' || presentation.kind === 'pin')) {
    if (presentation.kind === 'pin' || presentation.pinDigest === undefined) {
      return verdict(index, 'second_factor_required', doorId, person, grantingKey, c);
    }
    const pin = index.credentialsByKind.pin.get(presentation.pinDigest);
    if (pin === undefined || index.credentialPerson[pin] !== person || credentialBlock(index, pin, now) !== null) {
      return verdict(index, 'second_factor_mismatch', doorId, person, grantingKey, c);
    }
    if (index.credentialDuress[pin] === 1) duress = true;
  }
  return verdict(index, duress ? 'duress' : 'granted', doorId, person, grantingKey, c);
}
