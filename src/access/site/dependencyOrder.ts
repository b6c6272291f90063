/**
 * The order in which records can be applied: the entities in the order of ENTITIES (site, doors,
 * holidays, schedules, keys, people, holdings, credentials: references point backwards), and
 * within people, every host before their guests.
 */
import type { UpsertOp } from '../batchOpSchema.js';
import type { Person } from '../model.js';
import type { SiteRecords } from './siteRecords.js';

export interface GuestOrder {
  ordered: Person[];
  /** ids of people whose hosts form a cycle (they can never be applied), or null */
  cycle: string[] | null;
}

/**
 * Orders guests so that a guest whose host is also in the list comes after that host. Hosts that
 * are not in the list are assumed to be placed already. Iterative: long host chains are fine.
 */
export function orderGuests(guests: readonly Person[]): GuestOrder {
  const pending = new Map(guests.map((g) => [g.id, g]));
  const ordered: Person[] = [];
  let cycle: string[] | null = null;
  for (const guest of guests) {
    if (!pending.has(guest.id)) continue;
    // walk up the host chain while the hosts are still pending, then place them top-down
    const chain: Person[] = [];
    const onChain = new Set<string>();
    let at: Person | undefined = guest;
    while (at !== undefined && pending.has(at.id) && !onChain.has(at.id)) {
      chain.push(at);
      onChain.add(at.id);
      at = at.hostId === undefined ? undefined : pending.get(at.hostId);
    }
    if (at !== undefined && onChain.has(at.id)) cycle ??= chain.slice(chain.indexOf(at)).map((p) => p.id);
    for (let i = chain.length - 1; i >= 0; i--) {
      pending.delete(chain[i]!.id);
      ordered.push(chain[i]!);
    }
  }
  return { ordered, cycle };
}

/** People in an applicable order: everyone without a host first (in the given order), then guests. */
export function orderPeople(people: Iterable<Person>): GuestOrder {
  const hosts: Person[] = [];
  const guests: Person[] = [];
  for (const p of people) (p.hostId === undefined ? hosts : guests).push(p);
  const { ordered, cycle } = orderGuests(guests);
  return { ordered: [...hosts, ...ordered], cycle };
}

/** Every record of a site as upserts, in dependency order. */
export function* siteUpserts(records: SiteRecords): Generator<UpsertOp> {
  if (records.site) yield { op: 'upsert', entity: 'site', record: records.site };
  for (const record of records.doors) yield { op: 'upsert', entity: 'door', record };
  for (const record of records.holidays) yield { op: 'upsert', entity: 'holiday', record };
  for (const record of records.schedules) yield { op: 'upsert', entity: 'schedule', record };
  for (const record of records.keys) yield { op: 'upsert', entity: 'key', record };
  for (const record of orderPeople(records.people).ordered) yield { op: 'upsert', entity: 'person', record };
  for (const record of records.holdings) yield { op: 'upsert', entity: 'holding', record };
  for (const record of records.credentials) yield { op: 'upsert', entity: 'credential', record };
}
