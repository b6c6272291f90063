/**
 * Whether a desired site is consistent on its own, checked by the gateway's own rules: every
 * record is applied, in dependency order, to a scratch store in memory, so a key naming a missing
 * door, a duplicate PIN or a guest without host fails exactly as it would on a gateway — and the
 * error names where the record came from (file:line:column) instead of an operation number.
 * Also returns the content hash of that site.
 */
import type { Entity, UpsertOp } from '../../access/batchOpSchema.js';
import { GatewayError, isGatewayError } from '../../kernel/gatewayError.js';
import { AccessStore, type StoreCounts } from '../../store/accessStore.js';
import { openDatabase } from '../../store/database.js';
import { orderPeople, siteUpserts } from '../../access/site/dependencyOrder.js';
import { clearPins, recordKey, type RecordLocator, type SiteRecords } from '../../access/site/siteRecords.js';
import { canonicalLine, hashAccessSource, StateHash } from '../../access/contentHash.js';

export interface SiteCheck {
  hash: string;
  counts: StoreCounts;
}

const ENTITY_LISTS: ReadonlyArray<[Entity, keyof SiteRecords]> = [
  ['door', 'doors'], ['holiday', 'holidays'], ['schedule', 'schedules'], ['key', 'keys'],
  ['person', 'people'], ['holding', 'holdings'], ['credential', 'credentials'],
];

const at = (where: RecordLocator, entity: Entity, key: string) => where(entity, key) ?? `${entity} ${key}`;

/** Throws INPUT_INVALID for a record defined twice, naming both places. */
function checkDuplicates(records: SiteRecords, where: RecordLocator): void {
  for (const [entity, list] of ENTITY_LISTS) {
    const seen = new Set<string>();
    for (const record of records[list] as unknown[]) {
      const key = recordKey(entity, record);
      if (seen.has(key)) {
        throw new GatewayError('INPUT_INVALID', `${at(where, entity, key)}: ${entity} ${key} is defined more than once`, { entity, id: key, hint: 'each record may appear once' });
      }
      seen.add(key);
    }
  }
}

/** Throws a GatewayError naming the first problem and where its record is defined. */
export function checkSite(records: SiteRecords, where: RecordLocator): SiteCheck {
  checkDuplicates(records, where);
  const { cycle } = orderPeople(records.people);
  if (cycle !== null) {
    throw new GatewayError('INPUT_INVALID', `${at(where, 'person', cycle[0]!)}: the hosts of ${cycle.join(', ')} form a cycle: a guest's host must lead to someone who is not a guest of them`, {
      entity: 'person', id: cycle[0]!, field: 'hostId',
    });
  }
  const ops: UpsertOp[] = [...siteUpserts(records)];
  const db = openDatabase(':memory:');
  try {
    const store = new AccessStore(db, clearPins);
    try {
      store.applyBatch(ops, { source: 'cloud' });
    } catch (err) {
      const index = isGatewayError(err) ? err.details.index : undefined;
      const op = index === undefined ? undefined : ops[index];
      if (!isGatewayError(err) || op === undefined) throw err;
      const message = err.message.replace(/^operation \d+: /, '');
      throw new GatewayError(err.code, `${at(where, op.entity, recordKey(op.entity, op.record))}: ${message}`, { ...err.details, index: undefined }, { cause: err });
    }
    for (const kept of records.keptPins ?? []) {
      if (store.person(kept.personId) === undefined) {
        throw new GatewayError('REFERENCE_MISSING', `${at(where, 'credential', kept.id)}: credential ${kept.id}: personId refers to person ${kept.personId}, which does not exist`, { entity: 'credential', id: kept.id, field: 'personId' });
      }
      if (store.credential(kept.id) !== undefined) {
        throw new GatewayError('INPUT_INVALID', `${at(where, 'credential', kept.id)}: credential ${kept.id} is defined more than once`, { entity: 'credential', id: kept.id, hint: 'each record may appear once' });
      }
    }
    // a PIN's line in the content hash has no value: a kept PIN counts as the PIN it stands for
    const sum = StateHash.from(store.snapshot(hashAccessSource));
    for (const kept of records.keptPins ?? []) sum.add(canonicalLine.credential(kept));
    const counts = store.counts();
    return { hash: sum.digest(), counts: { ...counts, credentials: counts.credentials + (records.keptPins?.length ?? 0) } };
  } finally {
    db.close();
  }
}
