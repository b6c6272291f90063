/**
 * Applies validated operations to the access tables inside the caller's transaction.
 * Cross-record rules (references, PIN uniqueness, system keys) are checked here, against the
 * store as the batch has changed it so far; the first violation throws a GatewayError naming
 * the operation, the record and the field, and the caller's transaction rolls everything back.
 */
import type { CredentialInput, Credential } from '../access/model.js';
import { fingerprintValue } from '../access/model.js';
import type { PinHasher } from '../access/pinDigest.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { BatchOp, UpsertOp } from './batchOp.js';
import type { Db } from './database.js';

export type BatchSource = 'cloud' | 'local';

export interface ApplyContext {
  source: BatchSource;
  pinHasher: PinHasher;
  /** the model tables were emptied in this transaction (a snapshot): no record exists before its upsert */
  fresh?: boolean;
}

/** The lookup value of a credential as the index and the store know it (PINs become digests). */
export function credentialValue(input: CredentialInput, pinHasher: PinHasher): string {
  switch (input.kind) {
    case 'pin':
      return pinHasher(input.pin);
    case 'card':
      return input.card;
    case 'fingerprint':
      return fingerprintValue(input.readerId, input.slot);
    case 'mobile':
      return input.mobileKeyId;
  }
}

export function credentialFromInput(input: CredentialInput, pinHasher: PinHasher): Credential {
  return {
    id: input.id,
    personId: input.personId,
    kind: input.kind,
    value: credentialValue(input, pinHasher),
    status: input.status,
    validFrom: input.validFrom,
    validUntil: input.validUntil,
    useLimit: input.useLimit,
    duress: input.duress,
    label: input.label,
    publicKey: input.kind === 'mobile' ? input.publicKey : undefined,
  };
}

/** An error's operation position, when it is known: the message's prefix and the details' `index`. */
function position(index: number | undefined): { prefix: string; details: { index?: number } } {
  return index === undefined ? { prefix: '', details: {} } : { prefix: `operation ${index}: `, details: { index } };
}

function duplicateCredential(c: Pick<Credential, 'id' | 'kind'>, owner: string, index: number | undefined): GatewayError {
  const field = { pin: 'pin', card: 'card', fingerprint: 'slot', mobile: 'mobileKeyId' }[c.kind];
  const at = position(index);
  return new GatewayError('DUPLICATE_CREDENTIAL', `${at.prefix}credential ${c.id}: this ${c.kind} is already credential ${owner} (a ${c.kind} is unique per site)`, {
    ...at.details, entity: 'credential', id: c.id, field, hint: c.kind === 'pin' ? 'choose another PIN' : undefined,
  });
}

function missingReference(index: number | undefined, entity: string, id: string, field: string, what: string, ref: string): GatewayError {
  const at = position(index);
  return new GatewayError('REFERENCE_MISSING', `${at.prefix}${entity} ${id}: ${field} refers to ${what} ${ref}, which does not exist`, {
    ...at.details, entity, id, field, hint: `create the ${what} first (earlier in the same batch or in an earlier one)`,
  });
}

/**
 * The references a staged snapshot does not check as it is written (snapshotStaging.ts loads
 * without foreign keys; they are checked once, when the live tables commit): the first that does
 * not hold in `schema`, named as the row-by-row check names it but without a position; or null.
 * Only on a failed apply: each query reads a whole table.
 */
export function danglingReference(db: Db, schema: string): GatewayError | null {
  const first = (sql: string) => db.prepare(sql).raw().get() as [string, string] | undefined;
  const people = `(SELECT id FROM ${schema}.people)`;
  const holdingPerson = first(`SELECT person_id, key_id FROM ${schema}.holdings WHERE person_id NOT IN ${people} ORDER BY person_id, key_id LIMIT 1`);
  if (holdingPerson) return missingReference(undefined, 'holding', holdingPerson.join('/'), 'personId', 'person', holdingPerson[0]);
  const holdingKey = first(`SELECT person_id, key_id FROM ${schema}.holdings WHERE key_id NOT IN (SELECT id FROM ${schema}.keys) ORDER BY person_id, key_id LIMIT 1`);
  if (holdingKey) return missingReference(undefined, 'holding', holdingKey.join('/'), 'keyId', 'key', holdingKey[1]);
  const credential = first(`SELECT id, person_id FROM ${schema}.credentials WHERE person_id NOT IN ${people} ORDER BY id LIMIT 1`);
  if (credential) return missingReference(undefined, 'credential', credential[0], 'personId', 'person', credential[1]);
  return null;
}

const b = (v: boolean): number => (v ? 1 : 0);
const n = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

export class BatchApplier {
  private readonly s;

  constructor(private readonly db: Db) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      metaSet: p('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      metaDel: p('DELETE FROM meta WHERE key = ?'),
      doorExists: p('SELECT 1 FROM doors WHERE id = ?').pluck(),
      doorUpsert: p(`INSERT INTO doors(id, name, place, card_and_pin) VALUES (@id, @name, @place, @cardAndPin)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, place = excluded.place, card_and_pin = excluded.card_and_pin`),
      doorDelete: p('DELETE FROM doors WHERE id = ?'),
      holidayUpsert: p(`INSERT INTO holidays(date, type, name) VALUES (?, ?, ?)
        ON CONFLICT(date) DO UPDATE SET type = excluded.type, name = excluded.name`),
      holidayDelete: p('DELETE FROM holidays WHERE date = ?'),
      scheduleExists: p('SELECT 1 FROM schedules WHERE id = ?').pluck(),
      scheduleUpsert: p(`INSERT INTO schedules(id, name, intervals) VALUES (?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, intervals = excluded.intervals`),
      scheduleDelete: p('DELETE FROM schedules WHERE id = ?'),
      scheduleUsers: p(`SELECT kd.key_id FROM key_doors kd, json_each(kd.schedule_ids) j WHERE j.value = ? LIMIT 1`).pluck(),
      keySystem: p('SELECT system FROM keys WHERE id = ?').pluck(),
      keyUpsert: p(`INSERT INTO keys(id, name, may_share, system) VALUES (?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, may_share = excluded.may_share, system = excluded.system`),
      keyDelete: p('DELETE FROM keys WHERE id = ?'),
      keyDoorsClear: p('DELETE FROM key_doors WHERE key_id = ?'),
      keyDoorInsert: p('INSERT INTO key_doors(key_id, door_id, position, schedule_ids) VALUES (?, ?, ?, ?)'),
      personExists: p('SELECT 1 FROM people WHERE id = ?').pluck(),
      personUpsert: p(`INSERT INTO people(id, name, status, kind, host_id, extended_unlock, unit, place) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET name = excluded.name, status = excluded.status, kind = excluded.kind,
          host_id = excluded.host_id, extended_unlock = excluded.extended_unlock, unit = excluded.unit, place = excluded.place`),
      personDelete: p('DELETE FROM people WHERE id = ?'),
      holdingUpsert: p(`INSERT INTO holdings(person_id, key_id, valid_from, valid_until) VALUES (?, ?, ?, ?)
        ON CONFLICT(person_id, key_id) DO UPDATE SET valid_from = excluded.valid_from, valid_until = excluded.valid_until`),
      holdingDelete: p('DELETE FROM holdings WHERE person_id = ? AND key_id = ?'),
      credentialOwnerOf: p('SELECT id FROM credentials WHERE kind = ? AND value = ?').pluck(),
      credentialPersonOf: p('SELECT person_id FROM credentials WHERE id = ?').pluck(),
      credentialInsert: p(`INSERT INTO credentials(id, person_id, kind, value, status, valid_from, valid_until, use_limit, duress, label, public_key)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(id) DO UPDATE SET person_id = excluded.person_id, kind = excluded.kind, value = excluded.value,
          status = excluded.status, valid_from = excluded.valid_from, valid_until = excluded.valid_until,
          use_limit = excluded.use_limit, duress = excluded.duress, label = excluded.label, public_key = excluded.public_key`),
      credentialDelete: p('DELETE FROM credentials WHERE id = ?'),
      usesReset: p('DELETE FROM credential_uses WHERE credential_id = ?'),
    };
  }

  /** `offset`: the position of ops[0] in the whole batch (errors name operations by it). */
  apply(ops: readonly BatchOp[], ctx: ApplyContext, offset = 0): void {
    ops.forEach((op, i) => {
      if (op.op === 'upsert') this.upsert(op, offset + i, ctx);
      else this.remove(op, offset + i, ctx);
    });
  }

  private missing(index: number, entity: string, id: string, field: string, what: string, ref: string): GatewayError {
    return missingReference(index, entity, id, field, what, ref);
  }

  private guardSystemKey(keyId: string, index: number, entity: string, id: string, ctx: ApplyContext, field: string): void {
    if (ctx.source === 'cloud') return;
    if (this.s.keySystem.get(keyId) === 1) {
      throw new GatewayError('SYSTEM_KEY_READONLY', `operation ${index}: ${entity} ${id}: key ${keyId} is a system key managed by the cloud and cannot be changed locally`, {
        index, entity, id, field,
      });
    }
  }

  private upsert(op: UpsertOp, index: number, ctx: ApplyContext): void {
    const s = this.s;
    switch (op.entity) {
      case 'site': {
        const r = op.record;
        s.metaSet.run('site', JSON.stringify({ id: r.id, name: r.name, timeZone: r.timeZone }));
        return;
      }
      case 'door': {
        const r = op.record;
        s.doorUpsert.run({ id: r.id, name: r.name, place: r.place, cardAndPin: b(r.cardAndPin) });
        return;
      }
      case 'holiday':
        s.holidayUpsert.run(op.record.date, op.record.type, op.record.name);
        return;
      case 'schedule':
        s.scheduleUpsert.run(op.record.id, op.record.name, JSON.stringify(op.record.intervals));
        return;
      case 'key': {
        const r = op.record;
        this.guardSystemKey(r.id, index, 'key', r.id, ctx, 'system');
        if (ctx.source === 'local' && r.system) {
          throw new GatewayError('SYSTEM_KEY_READONLY', `operation ${index}: key ${r.id}: system keys are created by the cloud only`, { index, entity: 'key', id: r.id, field: 'system' });
        }
        r.doors.forEach((d, i) => {
          if (!s.doorExists.get(d.doorId)) throw this.missing(index, 'key', r.id, `doors[${i}].doorId`, 'door', d.doorId);
          d.scheduleIds.forEach((sid, j) => {
            if (!s.scheduleExists.get(sid)) throw this.missing(index, 'key', r.id, `doors[${i}].scheduleIds[${j}]`, 'schedule', sid);
          });
        });
        s.keyUpsert.run(r.id, r.name, b(r.mayShare), b(r.system));
        s.keyDoorsClear.run(r.id);
        r.doors.forEach((d, i) => s.keyDoorInsert.run(r.id, d.doorId, i, JSON.stringify(d.scheduleIds)));
        return;
      }
      case 'person': {
        const r = op.record;
        if (r.hostId !== undefined && !s.personExists.get(r.hostId)) throw this.missing(index, 'person', r.id, 'hostId', 'person', r.hostId);
        s.personUpsert.run(r.id, r.name, r.status, r.kind, n(r.hostId), b(r.extendedUnlock), n(r.unit), n(r.place));
        return;
      }
      case 'holding': {
        const r = op.record;
        if (ctx.source === 'local') this.checkHolding(r, index, ctx);
        try {
          s.holdingUpsert.run(r.personId, r.keyId, n(r.validFrom), n(r.validUntil));
        } catch (err) {
          // the references are the foreign keys' job; say precisely which one failed
          this.checkHolding(r, index, ctx);
          throw err;
        }
        return;
      }
      case 'credential': {
        const c = credentialFromInput(op.record, ctx.pinHasher);
        const previousOwner = ctx.fresh ? undefined : (s.credentialPersonOf.get(c.id) as string | undefined);
        try {
          s.credentialInsert.run(
            c.id, c.personId, c.kind, c.value, c.status, n(c.validFrom), n(c.validUntil), n(c.useLimit),
            b(c.duress), n(c.label), n(c.publicKey),
          );
        } catch (err) {
          // a missing person (foreign key) or a value another credential holds (unique): say which
          this.checkCredential(c, index);
          throw err;
        }
        // a credential handed to someone else starts a fresh use count
        if (previousOwner !== undefined && previousOwner !== c.personId) s.usesReset.run(c.id);
        return;
      }
    }
  }

  /** Throws the precise error for a holding whose references do not hold. */
  private checkHolding(r: { personId: string; keyId: string }, index: number, ctx: ApplyContext): void {
    const s = this.s;
    const id = `${r.personId}/${r.keyId}`;
    if (!s.personExists.get(r.personId)) throw this.missing(index, 'holding', id, 'personId', 'person', r.personId);
    if (s.keySystem.get(r.keyId) === undefined) throw this.missing(index, 'holding', id, 'keyId', 'key', r.keyId);
    this.guardSystemKey(r.keyId, index, 'holding', id, ctx, 'keyId');
  }

  /** Throws the precise error for a credential whose person is missing or whose value is taken. */
  private checkCredential(c: Credential, index: number): void {
    const s = this.s;
    if (!s.personExists.get(c.personId)) throw this.missing(index, 'credential', c.id, 'personId', 'person', c.personId);
    const owner = s.credentialOwnerOf.get(c.kind, c.value) as string | undefined;
    if (owner !== undefined && owner !== c.id) throw duplicateCredential(c, owner, index);
  }

  /**
   * After a load without the unique index on credential values (a snapshot, secondaryIndexes.ts):
   * the error the row-by-row check would have thrown — the first operation, in batch order, whose
   * value another credential already held — or null if every value is unique. Without the
   * operations (a snapshot staged chunk by chunk keeps none, snapshotStaging.ts) the error names
   * both credentials but no position: the one whose id sorts later is the one refused.
   */
  duplicateAfterLoad(ops: readonly BatchOp[] | null): GatewayError | null {
    const groups = this.db
      .prepare(`SELECT kind, json_group_array(id) FROM credentials GROUP BY kind, value HAVING count(*) > 1`)
      .raw()
      .all() as [Credential['kind'], string][];
    if (groups.length === 0) return null;
    if (ops === null) {
      const [first] = groups.map(([kind, idsJson]) => ({ kind, ids: (JSON.parse(idsJson) as string[]).sort() })).sort((a, b) => (a.ids[1]! < b.ids[1]! ? -1 : 1));
      return duplicateCredential({ id: first!.ids[1]!, kind: first!.kind }, first!.ids[0]!, undefined);
    }
    const lastUpsert = new Map<string, number>();
    ops.forEach((op, index) => {
      if (op.op === 'upsert' && op.entity === 'credential') lastUpsert.set(op.record.id, index);
    });
    let first: GatewayError | null = null;
    let firstIndex = Infinity;
    for (const [kind, idsJson] of groups) {
      const ids = (JSON.parse(idsJson) as string[]).sort((a, b) => (lastUpsert.get(a) ?? -1) - (lastUpsert.get(b) ?? -1));
      const index = lastUpsert.get(ids[1]!) ?? -1;
      if (index < firstIndex) {
        firstIndex = index;
        first = duplicateCredential({ id: ids[1]!, kind }, ids[0]!, index);
      }
    }
    return first;
  }

  private remove(op: BatchOp & { op: 'delete' }, index: number, ctx: ApplyContext): void {
    const s = this.s;
    switch (op.entity) {
      case 'site':
        s.metaDel.run('site');
        return;
      case 'door':
        s.doorDelete.run(op.id);
        return;
      case 'holiday':
        s.holidayDelete.run(op.date);
        return;
      case 'schedule': {
        const user = s.scheduleUsers.get(op.id) as string | undefined;
        if (user !== undefined) {
          throw new GatewayError('RECORD_IN_USE', `operation ${index}: schedule ${op.id} is still used by key ${user}`, {
            index, entity: 'schedule', id: op.id, field: 'id', hint: `remove it from key ${user} first`,
          });
        }
        s.scheduleDelete.run(op.id);
        return;
      }
      case 'key':
        this.guardSystemKey(op.id, index, 'key', op.id, ctx, 'id');
        s.keyDelete.run(op.id);
        return;
      case 'person':
        s.personDelete.run(op.id);
        return;
      case 'holding':
        this.guardSystemKey(op.keyId, index, 'holding', `${op.personId}/${op.keyId}`, ctx, 'keyId');
        s.holdingDelete.run(op.personId, op.keyId);
        return;
      case 'credential':
        s.credentialDelete.run(op.id);
        return;
    }
  }
}
