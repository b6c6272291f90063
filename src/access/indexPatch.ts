/**
 * patchIndex(previous, changes, source): the index of a state that differs from `previous`'s only
 * in some people, holdings and credentials, built from `previous` and those records alone, in time
 * proportional to the change — where compileIndex reads every record (seconds at a million
 * credentials). Decisions with the result are those of compileIndex(source); only numbering and
 * layout differ. `previous` is not changed (it keeps serving until the result replaces it).
 *
 * What is rebuilt: every affected person (changed, holding a changed credential, or a guest of an
 * affected person, transitively) gets their state and holdings worked out as compileIndex does
 * (a guest clipped to an active host's shareable keys) and written to a new range at the end of
 * the holdings; every credential of theirs gets its record again. A deleted credential leaves the
 * credential table; its record, and ranges no longer used, stay as unreachable garbage until the
 * next compile. New people are appended to personIds, new credentials to the records.
 *
 * patchable() says when a patch is worth it: doors, keys, schedules, holidays and the site need a
 * compile (they are few and change the shape of everything), and so does an index whose garbage
 * has grown past what it holds.
 */
import type { AccessIndex } from './accessIndex.js';
import { CREDENTIAL_STATE, FLAG, HOLDING, PERSON_STATE, RECORD } from './accessIndex.js';
import { packLimited, withRuntimeState, type RuntimeState } from './compileIndex.js';
import { KIND_CODE } from './credentialTable.js';
import type { Credential, Holding, Key, Person } from './model.js';
import type { Entity } from './batchOpSchema.js';
import { OFFLINE_CLASS_CODE, offlineClassOf } from './offlineClass.js';

/** The state after the change, read in its transaction (the store implements it). */
export interface PatchSource extends RuntimeState {
  /** the content hash of the state after the change (the store keeps it current) */
  readonly hash: string;
  person(id: string): Person | undefined;
  /** the people whose host is `hostId` */
  guestsOf(hostId: string): Iterable<string>;
  /** a person's holdings, by key id */
  holdings(personId: string): Iterable<Holding>;
  /** a person's credentials, by id */
  credentials(personId: string): Iterable<Credential>;
  credential(id: string): Credential | undefined;
  keys(): Iterable<Key>;
  counts(): { people: number; holdings: number; credentials: number };
}

export interface IndexChanges {
  /** the ids of people whose record or holdings changed (deleted ones included) */
  readonly people: ReadonlySet<string>;
  /** the ids of changed credentials → their kind and lookup value before the change (null: new) */
  readonly credentials: ReadonlyMap<string, { kind: Credential['kind']; value: string } | null>;
}

/** Garbage (unreachable records and holdings, appended people) an index may carry before a compile is due. */
const GARBAGE_ALLOWANCE = 65_536;

/** Whether a change to these entities can be patched into `previous`, or needs a compile. */
export function patchable(previous: AccessIndex, entities: Iterable<Entity>): boolean {
  for (const entity of entities) if (entity !== 'person' && entity !== 'holding' && entity !== 'credential') return false;
  const records = previous.credentialRecord.length / RECORD;
  const holdings = previous.holdings.length / HOLDING;
  const appendedPeople = previous.personIds.length - previous.sortedPeople;
  return records - previous.counts.credentials <= Math.max(GARBAGE_ALLOWANCE, previous.counts.credentials)
    && holdings - previous.counts.holdings <= Math.max(GARBAGE_ALLOWANCE, previous.counts.holdings)
    && appendedPeople <= GARBAGE_ALLOWANCE;
}

interface Resolved {
  state: number;
  /** HOLDING numbers per holding, clipped for a guest */
  holdings: number[];
}

const time = (v: number | undefined, missing: number) => (v === undefined ? missing : v);

export function patchIndex(previous: AccessIndex, changes: IndexChanges, source: PatchSource): AccessIndex {
  const keyIndex = new Map(previous.keyIds.map((id, i) => [id, i]));
  const mayShare = new Set<number>();
  for (const k of source.keys()) if (k.mayShare && keyIndex.has(k.id)) mayShare.add(keyIndex.get(k.id)!);

  // person numbers: binary search in the sorted part, a map of the appended ones
  const appended = new Map<string, number>();
  for (let i = previous.sortedPeople; i < previous.personIds.length; i++) appended.set(previous.personIds.at(i)!, i);
  const newPeople: string[] = [];
  const personNumber = (id: string): number => {
    const at = previous.personIds.indexOfSorted(id, previous.sortedPeople);
    if (at >= 0) return at;
    let n = appended.get(id);
    if (n === undefined) {
      n = previous.personIds.length + newPeople.length;
      appended.set(id, n);
      newPeople.push(id);
    }
    return n;
  };

  // state and holdings as compileIndex works them out (resolve, clipGuestHoldings)
  const resolved = new Map<string, Resolved | 'resolving'>();
  const resolve = (person: Person): Resolved => {
    const done = resolved.get(person.id);
    if (done === 'resolving') return { state: PERSON_STATE.hostRevoked, holdings: [] }; // a host cycle
    if (done !== undefined) return done;
    resolved.set(person.id, 'resolving');
    const holdings: number[] = [];
    for (const h of source.holdings(person.id)) {
      const k = keyIndex.get(h.keyId);
      if (k !== undefined) holdings.push(k, time(h.validFrom, -Infinity), time(h.validUntil, Infinity));
    }
    let state: number = person.status === 'suspended' ? PERSON_STATE.suspended : PERSON_STATE.active;
    if (state === PERSON_STATE.active && person.hostId !== undefined) {
      const host = source.person(person.hostId);
      const hostResolved = host === undefined ? null : resolve(host);
      if (hostResolved === null || hostResolved.state !== PERSON_STATE.active) state = PERSON_STATE.hostRevoked;
      else clip(holdings, hostResolved.holdings, mayShare);
    }
    const result = { state, holdings };
    resolved.set(person.id, result);
    return result;
  };

  // who is affected: changed people, the holders of changed credentials, and their guests
  const affected = new Set(changes.people);
  const after = new Map<string, Credential | undefined>();
  for (const id of changes.credentials.keys()) {
    const c = source.credential(id);
    after.set(id, c);
    if (c !== undefined) affected.add(c.personId);
  }
  const queue = [...affected];
  while (queue.length > 0) {
    for (const guest of source.guestsOf(queue.pop()!)) {
      if (!affected.has(guest)) {
        affected.add(guest);
        queue.push(guest);
      }
    }
  }

  const credentials = previous.credentials.clone(changes.credentials.size * 160 + 1024);
  const previousRecords = previous.credentialRecord.length / RECORD;
  let recordCount = previousRecords;
  const wasLimited = (c: number) => c < previousRecords && (previous.credentialRecord[c * RECORD + 1]! & FLAG.useLimit) !== 0;
  const entryOf = (c: number) => previous.credentialRecord[c * RECORD + 4]!;
  /** use-limited credentials: id → credential number, or null: no longer limited (or gone) */
  const limitedChanges = new Map<string, number | null>();

  // changed credentials leave the table under their old value, unless it stays the same
  const numberOf = new Map<string, { c: number; entry: number }>();
  for (const [id, before] of changes.credentials) {
    if (before === null) continue;
    const now = after.get(id);
    const kept = now !== undefined && now.kind === before.kind && now.value === before.value;
    const c = kept ? credentials.find(KIND_CODE[before.kind], before.value) : credentials.remove(KIND_CODE[before.kind], before.value);
    if (c < 0) throw new Error(`credential ${id} is not in the index: it needs a compile`);
    numberOf.set(id, { c, entry: kept ? entryOf(c) : -1 });
    if (kept) continue;
    if (wasLimited(c)) limitedChanges.set(id, null);
  }

  const recordWrites: number[] = []; // credential number, then its RECORD ints
  const extraOf = new Map<number, number>();
  const extraWrites: number[] = []; // extra row, from, until, use limit
  let extraCount = previous.extraFrom.length;
  const holdingsBase = previous.holdings.length;
  const newHoldings: number[] = [];
  for (const personId of affected) {
    const person = source.person(personId);
    if (person === undefined) continue; // deleted: their credentials were among the changed ones
    const held = [...source.credentials(personId)];
    if (held.length === 0) continue; // holdings only count through a credential's record
    const { state, holdings } = resolve(person);
    const p = personNumber(personId);
    const start = holdingsBase + newHoldings.length;
    for (const h of holdings) newHoldings.push(h);
    for (const c of held) {
      let known = numberOf.get(c.id);
      if (known === undefined && !changes.credentials.has(c.id)) {
        // unchanged: it keeps its number and its entry in the table
        const n = credentials.find(KIND_CODE[c.kind], c.value);
        if (n < 0) throw new Error(`credential ${c.id} is not in the index: it needs a compile`);
        known = { c: n, entry: entryOf(n) };
      }
      const n = known?.c ?? recordCount++;
      let entry = known?.entry ?? -1;
      if (entry < 0) {
        entry = credentials.add(KIND_CODE[c.kind], c.value, n, c.id);
        if (entry < 0) throw new Error(`credential ${c.id}: its value is taken or cannot be stored: it needs a compile`);
      }
      let flags = CREDENTIAL_STATE[c.status] | (state << FLAG.personShift);
      if (c.duress) flags |= FLAG.duress;
      if (c.validFrom !== undefined || c.validUntil !== undefined) flags |= FLAG.ownValidity;
      if (c.useLimit !== undefined) {
        flags |= FLAG.useLimit;
        limitedChanges.set(c.id, n);
      } else if (wasLimited(n)) {
        limitedChanges.set(c.id, null);
      }
      if (person.extendedUnlock) flags |= FLAG.extendedUnlock;
      if (person.kind === 'staff') flags |= FLAG.staff;
      flags |= OFFLINE_CLASS_CODE[offlineClassOf(person.kind, c.kind)] << FLAG.classShift;
      recordWrites.push(n, p, flags, start, start + holdings.length, entry);
      if ((flags & (FLAG.ownValidity | FLAG.useLimit)) === 0) {
        extraOf.set(n, -1);
      } else {
        const reuse = n < previousRecords ? previous.credentialExtra[n]! : -1;
        const x = reuse >= 0 ? reuse : extraCount++;
        extraOf.set(n, x);
        extraWrites.push(x, time(c.validFrom, -Infinity), time(c.validUntil, Infinity), c.useLimit ?? 0);
      }
    }
  }
  for (const { c, entry } of numberOf.values()) if (entry < 0 && !extraOf.has(c)) extraOf.set(c, -1); // deleted

  // the new arrays: the old ones with the writes, grown by what was appended
  const credentialRecord = grow(previous.credentialRecord, recordCount * RECORD);
  for (let i = 0; i < recordWrites.length; i += RECORD + 1) {
    const at = recordWrites[i]! * RECORD;
    for (let f = 0; f < RECORD; f++) credentialRecord[at + f] = recordWrites[i + 1 + f]!;
  }
  const credentialExtra = grow(previous.credentialExtra, recordCount, -1);
  for (const [c, x] of extraOf) credentialExtra[c] = x;
  const extraFrom = grow(previous.extraFrom, extraCount);
  const extraUntil = grow(previous.extraUntil, extraCount);
  const extraUseLimit = grow(previous.extraUseLimit, extraCount);
  for (let i = 0; i < extraWrites.length; i += 4) {
    const x = extraWrites[i]!;
    extraFrom[x] = extraWrites[i + 1]!;
    extraUntil[x] = extraWrites[i + 2]!;
    extraUseLimit[x] = extraWrites[i + 3]!;
  }
  const holdings = grow(previous.holdings, holdingsBase + newHoldings.length);
  holdings.set(newHoldings, holdingsBase);

  let limited = { ids: previous.limitedIds, credential: previous.limitedCredential };
  if (limitedChanges.size > 0) {
    const all = new Map<string, number>();
    for (let i = 0; i < previous.limitedIds.length; i++) all.set(previous.limitedIds.at(i)!, previous.limitedCredential[i]!);
    for (const [id, c] of limitedChanges) {
      if (c === null) all.delete(id);
      else all.set(id, c);
    }
    limited = packLimited([...all.keys()], [...all.values()]);
  }

  credentials.seal();
  const counts = source.counts();
  return withRuntimeState({
    ...previous,
    hash: source.hash,
    credentials,
    credentialRecord,
    credentialExtra,
    extraFrom,
    extraUntil,
    extraUseLimit,
    extraUses: new Int32Array(extraCount),
    limitedIds: limited.ids,
    limitedCredential: limited.credential,
    personIds: previous.personIds.concat(newPeople),
    holdings,
    counts: { ...previous.counts, people: counts.people, holdings: counts.holdings, credentials: counts.credentials },
  }, source);
}

/** A guest's holdings narrowed to the host's (compileIndex's clipGuestHoldings, on one person's list). */
function clip(guest: number[], host: readonly number[], mayShare: ReadonlySet<number>): void {
  for (let g = 0; g < guest.length; g += HOLDING) {
    const k = guest[g]!;
    let hostHolding = -1;
    for (let h = 0; h < host.length; h += HOLDING) if (host[h] === k) hostHolding = h;
    if (hostHolding < 0 || !mayShare.has(k)) {
      guest[g] = -1;
      continue;
    }
    guest[g + 1] = Math.max(guest[g + 1]!, host[hostHolding + 1]!);
    guest[g + 2] = Math.min(guest[g + 2]!, host[hostHolding + 2]!);
  }
}

/** A copy of `array` with room for `length` items; the new ones are `fill`. */
function grow<T extends Int32Array | Float64Array>(array: T, length: number, fill = 0): T {
  const bigger = new (array.constructor as new (n: number) => T)(length);
  if (fill !== 0) bigger.fill(fill, array.length);
  bigger.set(array);
  return bigger;
}
