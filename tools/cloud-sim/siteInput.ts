/**
 * What `publish` sends: a site file, optionally with a bulk-user CSV merged in (its people and
 * holdings join the file's), checked as a whole (siteCheck.ts). Errors name file and position.
 */
import { GatewayError } from '../../src/kernel/gatewayError.js';
import type { StoreCounts } from '../../src/store/accessStore.js';
import { loadBulkUsersCsv } from './bulkUsersCsv.js';
import { checkSite, type RecordLocator } from './siteCheck.js';
import { loadSiteFile } from './siteFile.js';
import type { SiteRecords } from './siteRecords.js';

export interface SiteInput {
  records: SiteRecords;
  where: RecordLocator;
  /** the content hash of this site */
  hash: string;
  counts: StoreCounts;
}

export async function loadSiteInput(paths: { site: string; users?: string }): Promise<SiteInput> {
  const site = await loadSiteFile(paths.site);
  const records = site.records;
  let where: RecordLocator = site.where;
  if (paths.users !== undefined) {
    if (records.site === null) {
      throw new GatewayError('INPUT_INVALID', `${paths.site}: the site file has no site, so the users' expiry dates have no time zone`, { field: 'site', hint: 'add site: {id, name, timeZone}' });
    }
    const users = await loadBulkUsersCsv(paths.users, { timeZone: records.site.timeZone, keys: records.keys });
    // loops, not push(...list): a large CSV would overflow the stack
    for (const p of users.people) records.people.push(p);
    for (const h of users.holdings) records.holdings.push(h);
    where = (entity, key) => site.where(entity, key) ?? users.where(entity, key);
    const duplicate = users.people.find((p) => site.where('person', p.id) !== undefined);
    if (duplicate !== undefined) {
      throw new GatewayError('INPUT_INVALID', `${users.where('person', duplicate.id)}: person ${duplicate.id} is also defined at ${site.where('person', duplicate.id)}`, {
        entity: 'person', id: duplicate.id, hint: 'define a person either in the site file or in the CSV',
      });
    }
  }
  const check = checkSite(records, where);
  return { records, where, ...check };
}
