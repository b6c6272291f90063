/** Row ↔ record mapping for the access tables. Rows use snake_case and 0/1 for booleans. */
import type { Credential, CredentialStatus, Door, Holding, Holiday, HolidayType, Interval, Key, KeyDoor, Person, Schedule } from '../access/model.js';

export interface DoorRow { id: string; name: string; place: string; card_and_pin: number }
export interface HolidayRow { date: string; type: number; name: string }
export interface ScheduleRow { id: string; name: string; intervals: string }
export interface KeyRow { id: string; name: string; may_share: number; system: number }
export interface KeyDoorRow { key_id: string; door_id: string; position: number; schedule_ids: string }
export interface PersonRow { id: string; name: string; status: string; kind: string; host_id: string | null; extended_unlock: number; unit: string | null; place: string | null }

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function doorFromRow(r: DoorRow): Door {
  return { id: r.id, name: r.name, place: r.place, cardAndPin: r.card_and_pin === 1 };
}

export function holidayFromRow(r: HolidayRow): Holiday {
  return { date: r.date, type: r.type as HolidayType, name: r.name };
}

export function scheduleFromRow(r: ScheduleRow): Schedule {
  return { id: r.id, name: r.name, intervals: JSON.parse(r.intervals) as Interval[] };
}

export function keyFromRow(r: KeyRow, doors: KeyDoor[]): Key {
  return { id: r.id, name: r.name, mayShare: r.may_share === 1, system: r.system === 1, doors };
}

export function keyDoorFromRow(r: KeyDoorRow): KeyDoor {
  return { doorId: r.door_id, scheduleIds: JSON.parse(r.schedule_ids) as string[] };
}

export function personFromRow(r: PersonRow): Person {
  const p: Person = { id: r.id, name: r.name, status: r.status as Person['status'], kind: r.kind as Person['kind'], extendedUnlock: r.extended_unlock === 1 };
  if (r.host_id !== null) p.hostId = r.host_id;
  if (r.unit !== null) p.unit = r.unit;
  if (r.place !== null) p.place = r.place;
  return p;
}



/** A credentials row as a `raw()` array, in the column order AccessStore.credentials selects. */
/** the columns of a credential, in CredentialArray's order */
export const CREDENTIAL_COLUMNS = 'id, person_id, kind, value, status, valid_from, valid_until, use_limit, duress, label, public_key';
export type CredentialArray = [string, string, string, string, string, number | null, number | null, number | null, number, string | null, string | null];

export function credentialFromArray(r: CredentialArray): Credential {
  return {
    id: r[0],
    personId: r[1],
    kind: r[2] as Credential['kind'],
    value: r[3],
    status: r[4] as CredentialStatus,
    validFrom: opt(r[5]),
    validUntil: opt(r[6]),
    useLimit: opt(r[7]),
    duress: r[8] === 1,
    label: opt(r[9]),
    publicKey: opt(r[10]),
  };
}

/** A people row as a `raw()` array: id, name, status, kind, host_id, extended_unlock, unit, place. */
export type PersonArray = [string, string, string, string, string | null, number, string | null, string | null];

export function personFromArray(r: PersonArray): Person {
  const p: Person = { id: r[0], name: r[1], status: r[2] as Person['status'], kind: r[3] as Person['kind'], extendedUnlock: r[5] === 1 };
  if (r[4] !== null) p.hostId = r[4];
  if (r[6] !== null) p.unit = r[6];
  if (r[7] !== null) p.place = r[7];
  return p;
}

/** A holdings row as a `raw()` array: person_id, key_id, valid_from, valid_until. */
export type HoldingArray = [string, string, number | null, number | null];

export function holdingFromArray(r: HoldingArray): Holding {
  const h: Holding = { personId: r[0], keyId: r[1] };
  if (r[2] !== null) h.validFrom = r[2];
  if (r[3] !== null) h.validUntil = r[3];
  return h;
}
