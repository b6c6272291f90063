/**
 * The records a batch may change, and their canonical lines (contentHash.ts) as the store holds
 * them: what keeps the store's content hash current without reading the whole model. The hash of
 * the state after a batch is the hash before it, minus the lines of the records the batch touched
 * as they were, plus their lines as they are now.
 *
 * A record changes when an operation names it, or when a foreign key's ON DELETE CASCADE deletes
 * it (a person's holdings and credentials, a key's holdings) or edits a key's door list (a door
 * deleted). Those are found in the state before the batch; a record the batch itself created is
 * named by its own operation. Touching more records than change costs a read, never correctness:
 * an unchanged record's line is taken out and put back.
 */
import type { Entity } from '../access/batchOpSchema.js';
import { canonicalLine } from '../access/contentHash.js';
import type { IndexChanges } from '../access/indexPatch.js';
import type { Credential, Site } from '../access/model.js';
import type { BatchOp } from './batchOp.js';
import type { Db } from './database.js';
import * as rows from './rows.js';

/** entity → ids (a holding's id is `personId/keyId`: ids never contain `/`) */
export type ChangedRecords = Map<Entity, Set<string>>;

export class RecordLines {
  private readonly s;

  constructor(db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      site: p("SELECT value FROM meta WHERE key = 'site'").pluck(),
      door: p('SELECT * FROM doors WHERE id = ?'),
      holiday: p('SELECT * FROM holidays WHERE date = ?'),
      schedule: p('SELECT * FROM schedules WHERE id = ?'),
      key: p('SELECT * FROM keys WHERE id = ?'),
      keyDoors: p('SELECT * FROM key_doors WHERE key_id = ? ORDER BY position'),
      person: p('SELECT * FROM people WHERE id = ?'),
      holding: p('SELECT person_id, key_id, valid_from, valid_until FROM holdings WHERE person_id = ? AND key_id = ?').raw(),
      credential: p(`SELECT ${rows.CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?`).raw(),
      keysOfDoor: p('SELECT DISTINCT key_id FROM key_doors WHERE door_id = ?').pluck(),
      holdersOfKey: p('SELECT person_id FROM holdings WHERE key_id = ?').pluck(),
      keysOfPerson: p('SELECT key_id FROM holdings WHERE person_id = ?').pluck(),
      credentialsOfPerson: p('SELECT id FROM credentials WHERE person_id = ?').pluck(),
      credentialValue: p('SELECT kind, value FROM credentials WHERE id = ?'),
    };
  }

  /** The records `ops` may change, read before they apply (cascades included). */
  changedBy(ops: readonly BatchOp[]): ChangedRecords {
    const s = this.s;
    const changed: ChangedRecords = new Map();
    const touch = (entity: Entity, id: string) => {
      let ids = changed.get(entity);
      if (!ids) changed.set(entity, (ids = new Set()));
      ids.add(id);
    };
    for (const op of ops) {
      if (op.op === 'upsert') {
        const r = op.record;
        if (op.entity === 'holiday') touch('holiday', op.record.date);
        else if (op.entity === 'holding') touch('holding', `${op.record.personId}/${op.record.keyId}`);
        else touch(op.entity, (r as { id: string }).id);
        continue;
      }
      switch (op.entity) {
        case 'holiday':
          touch('holiday', op.date);
          break;
        case 'holding':
          touch('holding', `${op.personId}/${op.keyId}`);
          break;
        case 'door':
          touch('door', op.id);
          for (const key of s.keysOfDoor.all(op.id) as string[]) touch('key', key);
          break;
        case 'key':
          touch('key', op.id);
          for (const person of s.holdersOfKey.all(op.id) as string[]) touch('holding', `${person}/${op.id}`);
          break;
        case 'person':
          touch('person', op.id);
          for (const key of s.keysOfPerson.all(op.id) as string[]) touch('holding', `${op.id}/${key}`);
          for (const credential of s.credentialsOfPerson.all(op.id) as string[]) touch('credential', credential);
          break;
        default:
          touch(op.entity, op.id);
      }
    }
    return changed;
  }

  /** The canonical lines of those records that exist now. */
  lines(changed: ChangedRecords): unknown[][] {
    const lines: unknown[][] = [];
    for (const [entity, ids] of changed) {
      for (const id of ids) {
        const line = this.line(entity, id);
        if (line !== null) lines.push(line);
      }
    }
    return lines;
  }

  /**
   * What the decision index needs to patch these changes in (indexPatch.ts), read before they
   * apply: the people whose record or holdings change, and each changed credential's lookup value
   * (null: it does not exist yet).
   */
  indexChanges(changed: ChangedRecords): IndexChanges {
    const people = new Set(changed.get('person') ?? []);
    for (const holding of changed.get('holding') ?? []) people.add(holding.slice(0, holding.indexOf('/')));
    const credentials = new Map<string, { kind: Credential['kind']; value: string } | null>();
    for (const id of changed.get('credential') ?? []) credentials.set(id, (this.s.credentialValue.get(id) as { kind: Credential['kind']; value: string } | undefined) ?? null);
    return { people, credentials };
  }

  private line(entity: Entity, id: string): unknown[] | null {
    const s = this.s;
    switch (entity) {
      case 'site': {
        const v = s.site.get() as string | undefined;
        return v === undefined ? null : canonicalLine.site(JSON.parse(v) as Site);
      }
      case 'door': {
        const r = s.door.get(id) as rows.DoorRow | undefined;
        return r ? canonicalLine.door(rows.doorFromRow(r)) : null;
      }
      case 'holiday': {
        const r = s.holiday.get(id) as rows.HolidayRow | undefined;
        return r ? canonicalLine.holiday(rows.holidayFromRow(r)) : null;
      }
      case 'schedule': {
        const r = s.schedule.get(id) as rows.ScheduleRow | undefined;
        return r ? canonicalLine.schedule(rows.scheduleFromRow(r)) : null;
      }
      case 'key': {
        const r = s.key.get(id) as rows.KeyRow | undefined;
        return r ? canonicalLine.key(rows.keyFromRow(r, (s.keyDoors.all(id) as rows.KeyDoorRow[]).map(rows.keyDoorFromRow))) : null;
      }
      case 'person': {
        const r = s.person.get(id) as rows.PersonRow | undefined;
        return r ? canonicalLine.person(rows.personFromRow(r)) : null;
      }
      case 'holding': {
        const [personId, keyId] = id.split('/');
        const r = s.holding.get(personId, keyId) as rows.HoldingArray | undefined;
        return r ? canonicalLine.holding(rows.holdingFromArray(r)) : null;
      }
      case 'credential': {
        const r = s.credential.get(id) as rows.CredentialArray | undefined;
        return r ? canonicalLine.credential(rows.credentialFromArray(r)) : null;
      }
    }
  }
}
