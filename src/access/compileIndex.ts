/**
 * Compiles an AccessSource (one consistent revision of the model) into an AccessIndex:
 * schedules into interned week bitmasks, people and holdings into compact arrays, guests'
 * holdings clipped to their host's, and the content hash computed on the way.
 */
import type { AccessSource } from './accessSource.js';
import { CREDENTIAL_STATE, PERSON_STATE, type AccessIndex } from './accessIndex.js';
import { canonicalLine, ContentHasher } from './contentHash.js';
import { HolidayCalendar } from './holidayCalendar.js';
import type { CredentialKind, Holiday, Person } from './model.js';
import { alwaysMask, compileIntervals, MaskInterner, unionMasks, type ScheduleMask } from './scheduleMask.js';
import { ZoneClock } from './zoneClock.js';

/** A growable Float64/Int32 column. */
class Column<T extends Int32Array | Float64Array | Uint8Array> {
  length = 0;
  constructor(public data: T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new (this.data.constructor as new (n: number) => T)(Math.max(16, this.data.length * 2));
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  trimmed(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

const time = (v: number | undefined, missing: number) => (v === undefined ? missing : v);

export function compileIndex(source: AccessSource): AccessIndex {
  const hasher = new ContentHasher();
  const site = source.site;
  if (site) hasher.add(canonicalLine.site(site));
  const timeZone = site?.timeZone ?? 'UTC';

  // doors
  const doorIndex = new Map<string, number>();
  const doorIds: string[] = [];
  const cardAndPin: number[] = [];
  for (const d of source.doors()) {
    hasher.add(canonicalLine.door(d));
    doorIndex.set(d.id, doorIds.length);
    doorIds.push(d.id);
    cardAndPin.push(d.cardAndPin ? 1 : 0);
  }
  const doorCount = doorIds.length;
  const doorLocked = new Uint8Array(doorCount);
  for (const id of source.lockdown.doors) {
    const d = doorIndex.get(id);
    if (d !== undefined) doorLocked[d] = 1;
  }

  // holidays and schedules
  const holidayList: Holiday[] = [];
  for (const h of source.holidays()) {
    hasher.add(canonicalLine.holiday(h));
    holidayList.push(h);
  }
  const scheduleMasks = new Map<string, ScheduleMask>();
  for (const s of source.schedules()) {
    hasher.add(canonicalLine.schedule(s));
    scheduleMasks.set(s.id, compileIntervals(s.intervals));
  }

  // keys: door → interned mask of the union of its schedules
  const masks = new MaskInterner();
  const always = masks.intern(alwaysMask());
  const unionIds = new Map<string, number>();
  const keyIndex = new Map<string, number>();
  const keyIds: string[] = [];
  const keyMayShare: number[] = [];
  const keyDoorEntries: [number, number, number][] = [];
  for (const k of source.keys()) {
    hasher.add(canonicalLine.key(k));
    const ki = keyIds.length;
    keyIndex.set(k.id, ki);
    keyIds.push(k.id);
    keyMayShare.push(k.mayShare ? 1 : 0);
    for (const kd of k.doors) {
      const di = doorIndex.get(kd.doorId);
      if (di === undefined) continue;
      let maskId = always;
      if (kd.scheduleIds.length > 0) {
        const name = [...kd.scheduleIds].sort().join('\u0000');
        let id = unionIds.get(name);
        if (id === undefined) {
          const parts = kd.scheduleIds.map((s) => scheduleMasks.get(s)).filter((m): m is ScheduleMask => m !== undefined);
          // a schedule that vanished closes the door rather than opening it 24/7
          id = masks.intern(parts.length === kd.scheduleIds.length ? unionMasks(parts) : compileIntervals([]));
          unionIds.set(name, id);
        }
        maskId = id;
      }
      keyDoorEntries.push([ki, di, maskId]);
    }
  }
  const keyDoorMask = new Int32Array(keyIds.length * doorCount);
  for (const [ki, di, mi] of keyDoorEntries) keyDoorMask[ki * doorCount + di] = mi + 1;

  // people
  const personIndex = new Map<string, number>();
  const people: Person[] = [];
  for (const p of source.people()) {
    hasher.add(canonicalLine.person(p));
    personIndex.set(p.id, people.length);
    people.push(p);
  }
  const personCount = people.length;
  const personExtendedUnlock = new Uint8Array(personCount);
  people.forEach((p, i) => (personExtendedUnlock[i] = p.extendedUnlock ? 1 : 0));

  // holdings, grouped by person (the source yields them ordered by person id)
  const hPerson = new Column(new Int32Array(1024));
  const hKey = new Column(new Int32Array(1024));
  const hFrom = new Column(new Float64Array(1024));
  const hUntil = new Column(new Float64Array(1024));
  for (const h of source.holdings()) {
    hasher.add(canonicalLine.holding(h));
    const p = personIndex.get(h.personId);
    const k = keyIndex.get(h.keyId);
    if (p === undefined || k === undefined) continue;
    hPerson.push(p);
    hKey.push(k);
    hFrom.push(time(h.validFrom, -Infinity));
    hUntil.push(time(h.validUntil, Infinity));
  }
  const holdingStart = new Int32Array(personCount + 1);
  for (let i = 0; i < hPerson.length; i++) holdingStart[hPerson.data[i]! + 1]!++;
  for (let p = 0; p < personCount; p++) holdingStart[p + 1]! += holdingStart[p]!;
  const fill = holdingStart.slice(0, personCount);
  const holdingKey = new Int32Array(hPerson.length);
  const holdingFrom = new Float64Array(hPerson.length);
  const holdingUntil = new Float64Array(hPerson.length);
  for (let i = 0; i < hPerson.length; i++) {
    const at = fill[hPerson.data[i]!]!++;
    holdingKey[at] = hKey.data[i]!;
    holdingFrom[at] = hFrom.data[i]!;
    holdingUntil[at] = hUntil.data[i]!;
  }

  // person state; a guest's access derives from an active host who holds a shareable key
  const personState = new Uint8Array(personCount);
  const resolving = new Uint8Array(personCount); // 0 new, 1 in progress, 2 done
  const resolve = (p: number): number => {
    if (resolving[p] === 2) return personState[p]!;
    if (resolving[p] === 1) return PERSON_STATE.hostRevoked; // a host cycle grants nothing
    resolving[p] = 1;
    const person = people[p]!;
    let state: number = person.status === 'suspended' ? PERSON_STATE.suspended : PERSON_STATE.active;
    if (state === PERSON_STATE.active && person.hostId !== undefined) {
      const host = personIndex.get(person.hostId);
      if (host === undefined || resolve(host) !== PERSON_STATE.active) state = PERSON_STATE.hostRevoked;
      else clipGuestHoldings(p, host);
    }
    personState[p] = state;
    resolving[p] = 2;
    return state;
  };
  const clipGuestHoldings = (guest: number, host: number) => {
    for (let g = holdingStart[guest]!; g < holdingStart[guest + 1]!; g++) {
      const k = holdingKey[g]!;
      let hostHolding = -1;
      for (let h = holdingStart[host]!; h < holdingStart[host + 1]!; h++) if (holdingKey[h] === k) hostHolding = h;
      if (hostHolding < 0 || keyMayShare[k] !== 1) {
        holdingFrom[g] = Infinity; // never valid: the host cannot share this key
        holdingUntil[g] = -Infinity;
        holdingKey[g] = -1;
        continue;
      }
      holdingFrom[g] = Math.max(holdingFrom[g]!, holdingFrom[hostHolding]!);
      holdingUntil[g] = Math.min(holdingUntil[g]!, holdingUntil[hostHolding]!);
    }
  };
  for (let p = 0; p < personCount; p++) resolve(p);

  // credentials
  const byKind: Record<CredentialKind, Map<string, number>> = { pin: new Map(), card: new Map(), fingerprint: new Map(), mobile: new Map() };
  const credentialIds: string[] = [];
  const cPerson = new Column(new Int32Array(1024));
  const cState = new Column(new Uint8Array(1024));
  const cFrom = new Column(new Float64Array(1024));
  const cUntil = new Column(new Float64Array(1024));
  const cLimit = new Column(new Int32Array(1024));
  const cDuress = new Column(new Uint8Array(1024));
  const limitedCredentials = new Map<string, number>();
  for (const c of source.credentials()) {
    hasher.add(canonicalLine.credential(c));
    const p = personIndex.get(c.personId);
    if (p === undefined) continue;
    const ci = credentialIds.length;
    credentialIds.push(c.id);
    byKind[c.kind].set(c.value, ci);
    cPerson.push(p);
    cState.push(CREDENTIAL_STATE[c.status]);
    cFrom.push(time(c.validFrom, -Infinity));
    cUntil.push(time(c.validUntil, Infinity));
    cLimit.push(c.useLimit ?? 0);
    cDuress.push(c.duress ? 1 : 0);
    if (c.useLimit !== undefined) limitedCredentials.set(c.id, ci);
  }
  const credentialUses = new Int32Array(credentialIds.length);
  for (const [id, uses] of source.uses()) {
    const ci = limitedCredentials.get(id);
    if (ci !== undefined) credentialUses[ci] = uses;
  }

  return {
    revision: source.revision,
    hash: hasher.digest(),
    siteId: site?.id ?? null,
    siteName: site?.name ?? null,
    timeZone,
    zone: new ZoneClock(timeZone),
    holidays: new HolidayCalendar(holidayList),
    masks,
    doorIndex,
    doorIds,
    doorCardAndPin: Uint8Array.from(cardAndPin),
    doorLocked,
    siteLocked: source.lockdown.site,
    credentialsByKind: byKind,
    credentialIds,
    credentialPerson: cPerson.trimmed(),
    credentialState: cState.trimmed(),
    credentialFrom: cFrom.trimmed(),
    credentialUntil: cUntil.trimmed(),
    credentialUseLimit: cLimit.trimmed(),
    credentialUses,
    credentialDuress: cDuress.trimmed(),
    limitedCredentials,
    personIds: people.map((p) => p.id),
    personState,
    personExtendedUnlock,
    holdingStart,
    holdingKey,
    holdingFrom,
    holdingUntil,
    keyIds,
    keyDoorMask,
    counts: { doors: doorCount, keys: keyIds.length, people: personCount, credentials: credentialIds.length, holdings: holdingKey.length, masks: masks.size },
  };
}
