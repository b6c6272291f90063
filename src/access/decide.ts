/**
 * decide(index, presentation, now): may this credential open this door now?
 *
 * Total: every input, however malformed, gets a Verdict with a reason; it never throws.
 * Pure: it reads the index, `now` and what the engine tells it about its own knowledge (a
 * DecisionTrust: the clock trusted or not, the credential classes past their offline lease;
 * STANDALONE_TRUST when omitted). Checks run in this order (the first failing one is the reason):
 *   1. presentation well-formed              invalid_presentation
 *   2. door known                            unknown_door
 *   3. credential known                      unknown_credential
 *   4. door or site locked down              locked_down
 *   5. credential status                     credential_pending | credential_suspended | credential_lost
 *   6. person status, guest's host           person_suspended | host_revoked
 *   7. credential's own validity             not_yet_valid | expired; with an untrusted clock a
 *      credential that has one is clock_untrusted whatever the clock says
 *   8. use limit                             use_limit_reached
 *   8a. offline lease of the credential's class (offlineClass.ts)   offline_lease_expired
 *   9. the person's keys for this door       door_not_in_key; otherwise the first key whose holding
 *      is valid now and whose schedule admits now grants. If none does, the reason is the most
 *      actionable one seen: holiday (a holiday closed what the weekday would open) >
 *      outside_schedule > not_yet_valid > expired. With an untrusted clock only a holding with no
 *      validity window on a 24/7 key grants; if none does, the reason is clock_untrusted.
 *  10. card+PIN doors: a card or a phone key needs the holder's PIN (both are things one holds,
 *      and can lose); a PIN alone is not enough   second_factor_required | second_factor_mismatch
 *      (a fingerprint is the holder themself and opens a card+PIN door alone)
 *  11. a duress credential (card or PIN) grants with reason duress and alarm: true.
 */
import { ALWAYS_SET, CREDENTIAL_STATE, FLAG, HOLDING, PERSON_STATE, RECORD, type AccessIndex } from './accessIndex.js';
import { KIND_CODE, type KindCode } from './credentialTable.js';
import { STANDALONE_TRUST, type DecisionTrust } from './decisionTrust.js';
import { maskAllows, maskAllowsIgnoringHolidays } from './scheduleMask.js';
import type { Presentation, Reason, Verdict } from './verdict.js';

const MAX_VALUE_LENGTH = 512;

function verdict(index: AccessIndex | null, reason: Reason, doorId: string | null, credential = -1, key = -1): Verdict {
  const grant = reason === 'granted' || reason === 'duress';
  const known = index !== null && credential >= 0;
  const flags = known ? index.credentialRecord[credential * RECORD + 1]! : 0;
  return {
    grant,
    reason,
    doorId,
    personId: known ? (index.personIds.at(index.credentialRecord[credential * RECORD]!) ?? null) : null,
    keyId: index && key >= 0 ? (index.keyIds[key] ?? null) : null,
    credentialId: known ? index.credentials.idAt(index.credentialRecord[credential * RECORD + 4]!) : null,
    revision: index && typeof index.revision === 'number' ? index.revision : 0,
    alarm: reason === 'duress',
    extendedUnlock: (flags & FLAG.extendedUnlock) !== 0,
    staff: (flags & FLAG.staff) !== 0,
  };
}

function kindCode(kind: unknown): KindCode | 0 {
  switch (kind) {
    case 'card': return KIND_CODE.card;
    case 'pin': return KIND_CODE.pin;
    case 'mobile': return KIND_CODE.mobile;
    case 'fingerprint': return KIND_CODE.fingerprint;
    default: return 0;
  }
}

function isPresentation(p: unknown): p is Presentation {
  if (typeof p !== 'object' || p === null) return false;
  const r = p as Record<string, unknown>;
  return (
    typeof r.doorId === 'string' && kindCode(r.kind) !== 0 &&
    typeof r.value === 'string' && r.value.length > 0 && r.value.length <= MAX_VALUE_LENGTH &&
    (r.pinDigest === undefined || (typeof r.pinDigest === 'string' && r.pinDigest.length <= MAX_VALUE_LENGTH))
  );
}

/** Why this credential (on its own) may not be used now, or null if it may. Steps 5–8. */
export function credentialBlock(index: AccessIndex, c: number, now: number, clockTrusted = true): Reason | null {
  const flags = index.credentialRecord[c * RECORD + 1]!;
  const state = flags & FLAG.stateMask;
  if (state !== CREDENTIAL_STATE.active) {
    return state === CREDENTIAL_STATE.pending ? 'credential_pending' : state === CREDENTIAL_STATE.lost ? 'credential_lost' : 'credential_suspended';
  }
  const ps = (flags & FLAG.personMask) >> FLAG.personShift;
  if (ps === PERSON_STATE.suspended) return 'person_suspended';
  if (ps === PERSON_STATE.hostRevoked) return 'host_revoked';
  if ((flags & FLAG.ownValidity) !== 0) {
    if (!clockTrusted) return 'clock_untrusted';
    const x = index.credentialExtra[c]!;
    if (now < index.extraFrom[x]!) return 'not_yet_valid';
    if (now >= index.extraUntil[x]!) return 'expired';
  }
  if ((flags & FLAG.useLimit) !== 0) {
    const x = index.credentialExtra[c]!;
    if (index.extraUses[x]! >= index.extraUseLimit[x]!) return 'use_limit_reached';
  }
  return null;
}

export function decide(index: AccessIndex, presentation: unknown, now: number, trust: DecisionTrust = STANDALONE_TRUST): Verdict {
  try {
    return decideUnchecked(index, presentation, now, trust);
  } catch {
    // unreachable with a well-formed index; a corrupt one must still deny, not crash the door
    return verdict(null, 'invalid_presentation', null);
  }
}

function decideUnchecked(index: AccessIndex, presentation: unknown, now: number, trust: DecisionTrust): Verdict {
  if (!isPresentation(presentation) || typeof now !== 'number' || !Number.isFinite(now)) {
    const doorId = typeof presentation === 'object' && presentation !== null && typeof (presentation as { doorId?: unknown }).doorId === 'string'
      ? ((presentation as { doorId: string }).doorId.slice(0, 128)) : null;
    return verdict(index, 'invalid_presentation', doorId);
  }
  const doorId = presentation.doorId;
  const door = index.doorIndex.get(doorId);
  if (door === undefined) return verdict(index, 'unknown_door', null);
  const c = index.credentials.find(kindCode(presentation.kind) as KindCode, presentation.value);
  if (c < 0) return verdict(index, 'unknown_credential', doorId);
  if (index.siteLocked || index.doorLocked[door] === 1) return verdict(index, 'locked_down', doorId, c);
  const clockTrusted = trust.clockTrusted;
  const blocked = credentialBlock(index, c, now, clockTrusted);
  if (blocked !== null) return verdict(index, blocked, doorId, c);
  const expired = trust.expiredClasses;
  if (expired !== 0 && ((expired >> ((index.credentialRecord[c * RECORD + 1]! & FLAG.classMask) >> FLAG.classShift)) & 1) !== 0) {
    return verdict(index, 'offline_lease_expired', doorId, c);
  }

  // step 9: the holder's keys for this door
  const holdings = index.holdings;
  const doorCount = index.doorIds.length;
  let local = NaN;
  let inKey = false;
  let sawHoliday = false;
  let sawOutside = false;
  let sawNotYet = false;
  let sawTimed = false;
  let grantingKey = -1;
  for (let h = index.credentialRecord[c * RECORD + 2]!, end = index.credentialRecord[c * RECORD + 3]!; h < end; h += HOLDING) {
    const key = holdings[h]!;
    if (key < 0) continue;
    const set = index.keyDoorSet[key * doorCount + door]!;
    if (set === 0) continue;
    inKey = true;
    if (!clockTrusted) {
      // only what does not depend on the time: a holding with no window on a 24/7 key
      if (set === ALWAYS_SET && holdings[h + 1] === -Infinity && holdings[h + 2] === Infinity) { grantingKey = key; break; }
      sawTimed = true;
      continue;
    }
    if (now < holdings[h + 1]!) { sawNotYet = true; continue; }
    if (now >= holdings[h + 2]!) continue;
    if (set === ALWAYS_SET) { grantingKey = key; break; }
    if (local !== local) local = index.zone.localMinutes(now);
    let admits = false;
    let weekdayWouldAdmit = false;
    for (let m = index.maskSetStart[set - 2]!, mEnd = index.maskSetStart[set - 1]!; m < mEnd; m++) {
      const mask = index.masks.get(index.maskSetMembers[m]!);
      if (maskAllows(mask, local, index.holidays)) { admits = true; break; }
      if (!weekdayWouldAdmit && maskAllowsIgnoringHolidays(mask, local)) weekdayWouldAdmit = true;
    }
    if (admits) { grantingKey = key; break; }
    if (weekdayWouldAdmit) sawHoliday = true;
    else sawOutside = true;
  }
  if (!inKey) return verdict(index, 'door_not_in_key', doorId, c);
  if (grantingKey < 0) {
    const reason: Reason = sawTimed ? 'clock_untrusted' : sawHoliday ? 'holiday' : sawOutside ? 'outside_schedule' : sawNotYet ? 'not_yet_valid' : 'expired';
    return verdict(index, reason, doorId, c);
  }

  // step 10: card+PIN doors
  let duress = (index.credentialRecord[c * RECORD + 1]! & FLAG.duress) !== 0;
  if (index.doorCardAndPin[door] === 1 && presentation.kind !== 'fingerprint') {
    if (presentation.kind === 'pin' || presentation.pinDigest === undefined) {
      return verdict(index, 'second_factor_required', doorId, c, grantingKey);
    }
    const pin = index.credentials.find(KIND_CODE.pin, presentation.pinDigest);
    if (pin < 0 || index.credentialRecord[pin * RECORD] !== index.credentialRecord[c * RECORD] || credentialBlock(index, pin, now, clockTrusted) !== null) {
      return verdict(index, 'second_factor_mismatch', doorId, c, grantingKey);
    }
    if ((index.credentialRecord[pin * RECORD + 1]! & FLAG.duress) !== 0) duress = true;
  }
  return verdict(index, duress ? 'duress' : 'granted', doorId, c, grantingKey);
}
