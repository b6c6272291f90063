/**
 * The delta the sync_delta bench sends back and forth: `people` people renamed, and renamed back.
 * Both the cloud peer (to send it) and the bench (to know the hash of the renamed state) build it.
 */
import { PERSON_KINDS, type SyntheticSite } from './syntheticSite.js';

/** [renamed, original]: person upserts for the first `people` people who are not guests. */
export function renameOperations(site: SyntheticSite, people: number): [unknown[], unknown[]] {
  const renamed: unknown[] = [];
  const original: unknown[] = [];
  for (let p = 0; p < site.personIds.length && renamed.length < people; p++) {
    if (site.personHost[p]! >= 0) continue;
    const record = {
      id: site.personIds[p]!,
      kind: PERSON_KINDS[site.personKind[p]!],
      status: site.personSuspended[p] === 1 ? 'suspended' : 'active',
    };
    original.push({ op: 'upsert', entity: 'person', record: { ...record, name: `Person ${p}` } });
    renamed.push({ op: 'upsert', entity: 'person', record: { ...record, name: `Person ${p} (moved)` } });
  }
  return [renamed, original];
}
