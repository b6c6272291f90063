/** Row ↔ record mapping for the access tables. Rows use snake_case and 0/1 for booleans. */
import type { Credential, CredentialStatus, Door, Holding, Holiday, HolidayType, Interval, Key, KeyDoor, Person, Schedule } from '../access/model.js';

export interface DoorRow { id: string; name: string; place: string; card_and_pin: number }
export interface HolidayRow { date: string; type: number; name: string }
export interface ScheduleRow { id: string; name: string; intervals: string }
export interface KeyRow { id: string; name: string; may_share: number; system: number }
export interface KeyDoorRow { key_id: string; door_id: string; position: number; schedule_ids: string }
export interface PersonRow { id: string; name: string; status: string; kind: string; host_id: string | null; extended_unlock: number }
export interface HoldingRow { person_id: string; key_id: string; valid_from: number | null; valid_until: number | null }
export interface CredentialRow {
  id: string; person_id: string; kind: string; value: string; status: string;
  valid_from: number | null; valid_until: number | null; use_limit: number | null; duress: number; label: string | null; public_key: string | null;
}

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
  return p;
}

export function holdingFromRow(r: HoldingRow): Holding {
  const h: Holding = { personId: r.person_id, keyId: r.key_id };
  if (r.valid_from !== null) h.validFrom = r.valid_from;
  if (r.valid_until !== null) h.validUntil = r.valid_until;
  return h;
}

export function credentialFromRow(r: CredentialRow): Credential {
  return {
    id: r.id,
    personId: r.person_id,
    kind: r.kind as Credential['kind'],
    value: r.value,
    status: r.status as CredentialStatus,
    validFrom: opt(r.valid_from),
    validUntil: opt(r.valid_until),
    useLimit: opt(r.use_limit),
    duress: r.duress === 1,
    label: opt(r.label),
    publicKey: opt(r.public_key),
  };
}
