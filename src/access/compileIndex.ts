/**
 * Compiles an AccessSource (one consistent revision of the model) into an AccessIndex:
 * schedules into interned week bitmasks (a door's several schedules become a small set of masks,
 * not a materialised union), people and holdings into interleaved typed arrays, guests' holdings
 * clipped to their host's, credentials into the typed-array credential table — and the content
 * hash computed on the way, unless the source already knows it.
 */
import type { AccessSource } from './accessSource.js';
import { ALWAYS_SET, CREDENTIAL_STATE, FLAG, HOLDING, PERSON_STATE, type AccessIndex } from './accessIndex.js';
import { canonicalLine, StateHash } from './contentHash.js';
import { CredentialTable, KIND_CODE } from './credentialTable.js';
import { HolidayCalendar } from './holidayCalendar.js';
import { PackedStrings } from './packedStrings.js';
import type { Holiday, Person } from './model.js';
import { compileIntervals, MaskInterner } from './scheduleMask.js';
import { OFFLINE_CLASS_CODE, offlineClassOf } from './offlineClass.js';
import { ZoneClock } from './zoneClock.js';

/** A growable typed column, trimmed to size at the end. */
class Column<T extends Int32Array | Float64Array> {
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
  /** a right-sized copy, so the doubled growth buffer is released */
  trimmed(): T {
    return this.data.slice(0, this.length) as T;
  }
}

/** The use-limited credentials' ids in ascending byte order (a source yields them in id order; any other is sorted). */
export function packLimited(ids: string[], credential: number[]): { ids: PackedStrings; credential: Int32Array } {
  const packed = PackedStrings.of(ids);
  if (packed.sorted()) return { ids: packed, credential: Int32Array.from(credential) };
  const order = ids.map((_, i) => i).sort((a, b) => Buffer.compare(Buffer.from(ids[a]!), Buffer.from(ids[b]!)));
  return { ids: PackedStrings.of(order.map((i) => ids[i]!)), credential: Int32Array.from(order, (i) => credential[i]!) };
}

const time = (v: number | undefined, missing: number) => (v === undefined ? missing : v);

export function compileIndex(source: AccessSource): AccessIndex {
  // a source that knows its hash (the store keeps it current) saves hashing every record
  const hasher = source.hash === undefined ? new StateHash() : null;
  const site = source.site;
  if (site) hasher?.add(canonicalLine.site(site));
  const timeZone = site?.timeZone ?? 'UTC';

  // doors
  const doorIndex = new Map<string, number>();
  const doorIds: string[] = [];
  const cardAndPin: number[] = [];
  for (const d of source.doors()) {
    hasher?.add(canonicalLine.door(d));
    doorIndex.set(d.id, doorIds.length);
    doorIds.push(d.id);
    cardAndPin.push(d.cardAndPin ? 1 : 0);
  }
  const doorCount = doorIds.length;

  // holidays and schedules: one interned mask per schedule
  const holidayList: Holiday[] = [];
  for (const h of source.holidays()) {
    hasher?.add(canonicalLine.holiday(h));
    holidayList.push(h);
  }
  const masks = new MaskInterner();
  const scheduleMask = new Map<string, number>();
  for (const s of source.schedules()) {
    hasher?.add(canonicalLine.schedule(s));
    scheduleMask.set(s.id, masks.intern(compileIntervals(s.intervals)));
  }

  // keys: each door → a set of schedule masks (interned by content), or 24/7
  const setIds = new Map<string, number>();
  const setStart: number[] = [0];
  const setMembers: number[] = [];
  const maskSetOf = (scheduleIds: readonly string[]): number => {
    if (scheduleIds.length === 0) return ALWAYS_SET;
    // a schedule that vanished contributes nothing: the door closes rather than opening 24/7
    const members = [...new Set(scheduleIds.map((id) => scheduleMask.get(id)).filter((m): m is number => m !== undefined))].sort((a, b) => a - b);
    const name = members.join(',');
    let id = setIds.get(name);
    if (id === undefined) {
      id = setStart.length - 1 + 2;
      setMembers.push(...members);
      setStart.push(setMembers.length);
      setIds.set(name, id);
    }
    return id;
  };
  const keyIndex = new Map<string, number>();
  const keyIds: string[] = [];
  const keyMayShare: number[] = [];
  const keyDoorEntries: number[] = [];
  for (const k of source.keys()) {
    hasher?.add(canonicalLine.key(k));
    const ki = keyIds.length;
    keyIndex.set(k.id, ki);
    keyIds.push(k.id);
    keyMayShare.push(k.mayShare ? 1 : 0);
    for (const kd of k.doors) {
      const di = doorIndex.get(kd.doorId);
      if (di !== undefined) keyDoorEntries.push(ki, di, maskSetOf(kd.scheduleIds));
    }
  }
  const keyDoorSet = new Int32Array(keyIds.length * doorCount);
  for (let i = 0; i < keyDoorEntries.length; i += 3) keyDoorSet[keyDoorEntries[i]! * doorCount + keyDoorEntries[i + 1]!] = keyDoorEntries[i + 2]!;

  // people
  const personIndex = new Map<string, number>();
  const people: Person[] = [];
  let sortedPeople = 0;
  for (const p of source.people()) {
    hasher?.add(canonicalLine.person(p));
    if (sortedPeople === people.length && (sortedPeople === 0 || people[sortedPeople - 1]!.id < p.id)) sortedPeople++;
    personIndex.set(p.id, people.length);
    people.push(p);
  }
  const personCount = people.length;

  // holdings, grouped by person (counting sort; the source yields them by person id)
  const hPerson = new Column(new Int32Array(1024));
  const hRest = new Column(new Float64Array(3072));
  for (const h of source.holdings()) {
    hasher?.add(canonicalLine.holding(h));
    const p = personIndex.get(h.personId);
    const k = keyIndex.get(h.keyId);
    if (p === undefined || k === undefined) continue;
    hPerson.push(p);
    hRest.push(k);
    hRest.push(time(h.validFrom, -Infinity));
    hRest.push(time(h.validUntil, Infinity));
  }
  const holdingStart = new Int32Array(personCount + 1);
  for (let i = 0; i < hPerson.length; i++) holdingStart[hPerson.data[i]! + 1]!++;
  for (let p = 0; p < personCount; p++) holdingStart[p + 1]! += holdingStart[p]!;
  const fill = holdingStart.slice(0, personCount);
  const holdings = new Float64Array(hPerson.length * HOLDING);
  for (let i = 0; i < hPerson.length; i++) {
    const at = fill[hPerson.data[i]!]!++ * HOLDING;
    holdings[at] = hRest.data[i * 3]!;
    holdings[at + 1] = hRest.data[i * 3 + 1]!;
    holdings[at + 2] = hRest.data[i * 3 + 2]!;
  }

  // person state; a guest's access derives from an active host who holds a shareable key
  const personState = new Uint8Array(personCount);
  const resolving = new Uint8Array(personCount); // 0 new, 1 in progress, 2 done
  const clipGuestHoldings = (guest: number, host: number) => {
    for (let g = holdingStart[guest]! * HOLDING; g < holdingStart[guest + 1]! * HOLDING; g += HOLDING) {
      const k = holdings[g]!;
      let hostHolding = -1;
      for (let h = holdingStart[host]! * HOLDING; h < holdingStart[host + 1]! * HOLDING; h += HOLDING) if (holdings[h] === k) hostHolding = h;
      if (hostHolding < 0 || keyMayShare[k] !== 1) {
        holdings[g] = -1; // the host cannot share this key: it gives the guest nothing
        continue;
      }
      holdings[g + 1] = Math.max(holdings[g + 1]!, holdings[hostHolding + 1]!);
      holdings[g + 2] = Math.min(holdings[g + 2]!, holdings[hostHolding + 2]!);
    }
  };
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
  for (let p = 0; p < personCount; p++) resolve(p);

  // credentials
  const credentials = new CredentialTable(1024);
  let credentialCount = 0;
  const record = new Column(new Int32Array(4096));
  const extra = new Column(new Int32Array(4096));
  const from = new Column(new Float64Array(64));
  const until = new Column(new Float64Array(64));
  const limit = new Column(new Int32Array(64));
  const limitedIds: string[] = [];
  const limitedCredential: number[] = [];
  for (const c of source.credentials()) {
    hasher?.add(canonicalLine.credential(c));
    const p = personIndex.get(c.personId);
    if (p === undefined) continue;
    const ci = credentialCount;
    const entry = credentials.add(KIND_CODE[c.kind], c.value, ci, c.id);
    if (entry < 0) continue; // the store keeps (kind, value) unique
    credentialCount++;
    let flags = CREDENTIAL_STATE[c.status] | (personState[p]! << FLAG.personShift);
    if (c.duress) flags |= FLAG.duress;
    if (c.validFrom !== undefined || c.validUntil !== undefined) flags |= FLAG.ownValidity;
    if (c.useLimit !== undefined) {
      flags |= FLAG.useLimit;
      limitedIds.push(c.id);
      limitedCredential.push(ci);
    }
    if (people[p]!.extendedUnlock) flags |= FLAG.extendedUnlock;
    if (people[p]!.kind === 'staff') flags |= FLAG.staff;
    flags |= OFFLINE_CLASS_CODE[offlineClassOf(people[p]!.kind, c.kind)] << FLAG.classShift;
    record.push(p);
    record.push(flags);
    record.push(holdingStart[p]! * HOLDING);
    record.push(holdingStart[p + 1]! * HOLDING);
    record.push(entry);
    if ((flags & (FLAG.ownValidity | FLAG.useLimit)) === 0) {
      extra.push(-1);
    } else {
      extra.push(from.length);
      from.push(time(c.validFrom, -Infinity));
      until.push(time(c.validUntil, Infinity));
      limit.push(c.useLimit ?? 0);
    }
  }
  credentials.seal();
  const credentialExtra = extra.trimmed();
  const extraUseLimit = limit.trimmed();
  const limited = packLimited(limitedIds, limitedCredential);

  return withRuntimeState({
    revision: source.revision,
    hash: hasher?.digest() ?? source.hash!,
    siteId: site?.id ?? null,
    siteName: site?.name ?? null,
    timeZone,
    zone: new ZoneClock(timeZone),
    holidays: new HolidayCalendar(holidayList),
    masks,
    scheduleMasks: scheduleMask,
    doorIndex,
    doorIds,
    doorCardAndPin: Uint8Array.from(cardAndPin),
    doorLocked: new Uint8Array(doorCount),
    siteLocked: false,
    credentials,
    credentialRecord: record.trimmed(),
    credentialExtra,
    extraFrom: from.trimmed(),
    extraUntil: until.trimmed(),
    extraUseLimit,
    extraUses: new Int32Array(extraUseLimit.length),
    limitedIds: limited.ids,
    limitedCredential: limited.credential,
    personIds: PackedStrings.of(people.map((p) => p.id)),
    sortedPeople,
    holdings,
    keyIds,
    keyDoorSet,
    maskSetStart: Int32Array.from(setStart),
    maskSetMembers: Int32Array.from(setMembers),
    counts: {
      doors: doorCount, keys: keyIds.length, people: personCount, credentials: credentialCount,
      holdings: holdings.length / HOLDING, masks: masks.size, maskSets: setStart.length - 1,
    },
  }, source);
}

/** What an index holds besides the model: the store's revision, lockdowns and use counts. */
export type RuntimeState = Pick<AccessSource, 'revision' | 'lockdown' | 'uses'>;

/**
 * The index with `runtime` in place of its runtime state (the content, and so the hash, stay).
 * compileIndex ends with it; an index compiled from another file than the live one (a staged
 * snapshot, parallelCompile.ts) gets the live store's state with it.
 */
export function withRuntimeState(index: AccessIndex, runtime: RuntimeState): AccessIndex {
  const doorLocked = new Uint8Array(index.doorIds.length);
  for (const id of runtime.lockdown.doors) {
    const d = index.doorIndex.get(id);
    if (d !== undefined) doorLocked[d] = 1;
  }
  const extraUses = new Int32Array(index.extraUseLimit.length);
  for (const [id, uses] of runtime.uses()) {
    const at = index.limitedIds.indexOfSorted(id);
    if (at >= 0) extraUses[index.credentialExtra[index.limitedCredential[at]!]!] = uses;
  }
  return { ...index, revision: runtime.revision, doorLocked, siteLocked: runtime.lockdown.site, extraUses };
}
