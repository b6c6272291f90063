/**
 * The operations that turn the simulator's state into a desired site (a delta's content).
 *
 * Order, so that every operation is valid when it runs:
 *   1. deletes of holdings and credentials, and of credentials whose card/PIN/... changed (their
 *      upsert follows in 3): a value moving between credentials is free before it is taken;
 *   2. nothing else is deleted yet: upserts may still need the records deletes would remove;
 *   3. upserts of new and changed records in dependency order (hosts before guests);
 *   4. deletes of people, keys, schedules, holidays, doors and the site, in reverse dependency
 *      order (a schedule is deleted after the keys that stopped using it were upserted).
 * A credential whose value changed is therefore deleted and re-created: on a gateway that resets
 * its use count, which is right for what is in effect a new code.
 *
 * The desired site must be consistent on its own (siteCheck.ts): then the result equals it.
 */
import type { BatchOp, DeleteOp, Entity, UpsertOp } from '../../access/batchOpSchema.js';
import { canonicalLine } from '../../access/contentHash.js';
import type { Credential, CredentialInput } from '../../access/model.js';
import type { AccessStore } from '../../store/accessStore.js';
import { credentialFromInput } from '../../store/batchApply.js';
import { orderPeople } from '../../access/site/dependencyOrder.js';
import { recordKey, type RecordOf, type SiteRecords } from '../../access/site/siteRecords.js';
import type { PinHasher } from '../../access/pinDigest.js';
import { GatewayError } from '../../kernel/gatewayError.js';

type Listed = Exclude<Entity, 'site'>;

function deleteOp(entity: Entity, record: unknown): DeleteOp {
  const r = record as Record<string, string>;
  switch (entity) {
    case 'holiday':
      return { op: 'delete', entity, date: r.date! };
    case 'holding':
      return { op: 'delete', entity, personId: r.personId!, keyId: r.keyId! };
    default:
      return { op: 'delete', entity, id: r.id! } as DeleteOp;
  }
}

interface EntityDiff<C, D> {
  /** new or changed, in the desired order */
  changed: D[];
  deleted: C[];
  /** credentials whose card/PIN/... changed (among `changed`) */
  revalued: C[];
}

/**
 * Compares records by a signature: every field in a fixed order. The canonical line of the
 * content hash is exactly that (it covers every field of every record), except that it leaves a
 * PIN out; a credential's signature adds its value.
 */
function diffEntity<C, D>(entity: Listed, current: Iterable<C>, desired: readonly D[], sign: { current(c: C): string; desired(d: D): string }, value?: { current(c: C): string; desired(d: D): string }): EntityDiff<C, D> {
  const wanted = new Map(desired.map((d) => [recordKey(entity, d), d]));
  const unchanged = new Set<string>();
  const deleted: C[] = [];
  const revalued: C[] = [];
  for (const record of current) {
    const key = recordKey(entity, record);
    const want = wanted.get(key);
    if (want === undefined) deleted.push(record);
    else if (sign.desired(want) === sign.current(record)) unchanged.add(key);
    else if (value !== undefined && value.desired(want) !== value.current(record)) revalued.push(record);
  }
  return { changed: desired.filter((d) => !unchanged.has(recordKey(entity, d))), deleted, revalued };
}

function same<R>(line: (r: R) => readonly unknown[]): { current(r: R): string; desired(r: R): string } {
  const sign = (r: R) => JSON.stringify(line(r));
  return { current: sign, desired: sign };
}

const credentialSignature = (c: Credential) => JSON.stringify([...canonicalLine.credential(c), c.value]);
const credentialValue = (c: Credential) => `${c.kind}:${c.value}`;

/** A kept PIN (given by its digest) that is not exactly the stored credential cannot be written: its PIN is unknown. */
function keptPinChanged(c: Credential, store: AccessStore): GatewayError {
  const now = store.credential(c.id);
  const why = now === undefined ? 'this gateway has no such credential' : now.kind !== 'pin' || now.value !== c.value ? 'its digest is not the PIN this gateway holds' : 'its other fields differ from the stored credential';
  return new GatewayError('INPUT_INVALID', `credential ${c.id}: a PIN given by its digest (pinDigest) can only be kept as it is, and ${why}`, {
    entity: 'credential', id: c.id, field: 'pinDigest', hint: 'give the PIN itself (pin: "1234") to create or change it',
  });
}

/**
 * The operations from the store's content to `desired`; empty when they are equal. `pinHasher`:
 * the store's (a gateway's device-secret HMAC; the simulator's `clearPins`).
 */
export function diffState(store: AccessStore, desired: SiteRecords, pinHasher: PinHasher): BatchOp[] {
  const inputs = new Map<string, CredentialInput>(desired.credentials.map((c) => [c.id, c]));
  const wanted: Credential[] = [...desired.credentials.map((c) => credentialFromInput(c, pinHasher)), ...(desired.keptPins ?? [])];
  const doors = diffEntity('door', store.doors(), desired.doors, same(canonicalLine.door));
  const holidays = diffEntity('holiday', store.holidays(), desired.holidays, same(canonicalLine.holiday));
  const schedules = diffEntity('schedule', store.schedules(), desired.schedules, same(canonicalLine.schedule));
  const keys = diffEntity('key', store.keys(), desired.keys, same(canonicalLine.key));
  const people = diffEntity('person', store.people(), desired.people, same(canonicalLine.person));
  const holdings = diffEntity('holding', store.holdings(), desired.holdings, same(canonicalLine.holding));
  const credentials = diffEntity('credential', store.credentials(), wanted,
    { current: credentialSignature, desired: credentialSignature },
    { current: credentialValue, desired: credentialValue });
  const changedCredentials = credentials.changed.map((c) => {
    const input = inputs.get(c.id);
    if (input === undefined) throw keptPinChanged(c, store);
    return input;
  });

  const ops: BatchOp[] = [];
  const upsert = <E extends Listed>(entity: E, records: readonly RecordOf<E>[]) => {
    for (const record of records) ops.push({ op: 'upsert', entity, record } as UpsertOp);
  };
  const remove = (entity: Entity, records: readonly unknown[]) => {
    for (const record of records) ops.push(deleteOp(entity, record));
  };

  remove('holding', holdings.deleted);
  remove('credential', [...credentials.deleted, ...credentials.revalued]);

  const currentSite = store.site();
  const siteLine = (site: SiteRecords['site']) => (site === null ? null : JSON.stringify(canonicalLine.site(site)));
  if (desired.site !== null && siteLine(desired.site) !== siteLine(currentSite)) ops.push({ op: 'upsert', entity: 'site', record: desired.site });
  upsert('door', doors.changed);
  upsert('holiday', holidays.changed);
  upsert('schedule', schedules.changed);
  upsert('key', keys.changed);
  upsert('person', orderPeople(people.changed).ordered);
  upsert('holding', holdings.changed);
  upsert('credential', changedCredentials);

  remove('person', people.deleted);
  remove('key', keys.deleted);
  remove('schedule', schedules.deleted);
  remove('holiday', holidays.deleted);
  remove('door', doors.deleted);
  if (desired.site === null && currentSite !== null) ops.push({ op: 'delete', entity: 'site', id: currentSite.id });
  return ops;
}
