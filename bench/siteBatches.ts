/** The synthetic site as raw batch operations (what the cloud would send), in dependency order. */
import { credentialId, CREDENTIAL_STATUSES, KIND_NAMES, PERSON_KINDS, scheduleId, type SyntheticSite } from './syntheticSite.js';

const bound = (v: number): number | undefined => (Number.isNaN(v) ? undefined : v);

/** Every record of the site as raw batch operations, in dependency order, `chunk` per batch. */
export function* siteBatches(site: SyntheticSite, chunk: number): Generator<unknown[]> {
  let batch: unknown[] = [];
  const up = (entity: string, record: Record<string, unknown>) => {
    batch.push({ op: 'upsert', entity, record });
    return batch.length >= chunk;
  };
  function* all(): Generator<boolean> {
    yield up('site', { id: 'bench-site', name: 'Synthetic bench site', timeZone: site.timeZone });
    for (let d = 0; d < site.doorIds.length; d++) {
      yield up('door', { id: site.doorIds[d]!, name: `Door ${d}`, place: `Building ${d % 20}`, cardAndPin: site.doorCardAndPin[d] === 1 });
    }
    for (const h of site.holidays) yield up('holiday', h);
    for (const s of site.schedules) yield up('schedule', s);
    for (let k = 0; k < site.keyIds.length; k++) {
      const doors = [];
      for (let i = site.keyDoorStart[k]!; i < site.keyDoorStart[k + 1]!; i++) {
        doors.push({ doorId: site.doorIds[site.keyDoor[i]!]!, scheduleIds: site.keyDoorSchedules[i]!.map(scheduleId) });
      }
      yield up('key', { id: site.keyIds[k]!, name: `Key ${k}`, mayShare: site.keyMayShare[k] === 1, system: site.keySystem[k] === 1, doors });
    }
    // hosts before their guests
    for (const guests of [false, true]) {
      for (let p = 0; p < site.personIds.length; p++) {
        if ((site.personHost[p]! >= 0) !== guests) continue;
        const record: Record<string, unknown> = {
          id: site.personIds[p]!,
          name: `Person ${p}`,
          kind: PERSON_KINDS[site.personKind[p]!],
          status: site.personSuspended[p] === 1 ? 'suspended' : 'active',
        };
        if (guests) record.hostId = site.personIds[site.personHost[p]!]!;
        yield up('person', record);
      }
    }
    for (let p = 0; p < site.personIds.length; p++) {
      for (let h = site.holdingStart[p]!; h < site.holdingStart[p + 1]!; h++) {
        yield up('holding', {
          personId: site.personIds[p]!, keyId: site.keyIds[site.holdingKey[h]!]!,
          validFrom: bound(site.holdingFrom[h]!), validUntil: bound(site.holdingUntil[h]!),
        });
      }
    }
    for (let c = 0; c < site.credKind.length; c++) {
      const kind = KIND_NAMES[site.credKind[c]!]!;
      const record: Record<string, unknown> = {
        id: credentialId(c), personId: site.personIds[site.credPerson[c]!]!, kind,
        status: CREDENTIAL_STATUSES[site.credStatus[c]!],
        validFrom: bound(site.credFrom[c]!), validUntil: bound(site.credUntil[c]!),
        duress: site.credDuress[c] === 1,
      };
      if (site.credUseLimit[c]! > 0) record.useLimit = site.credUseLimit[c];
      if (kind === 'card') record.card = site.credSecret[c];
      else if (kind === 'pin') record.pin = site.credSecret[c];
      else record.mobileKeyId = site.credSecret[c];
      yield up('credential', record);
    }
  }
  for (const full of all()) {
    if (full) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
