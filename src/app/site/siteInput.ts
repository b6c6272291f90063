/**
 * A site as the gateway (`lockgw site apply`) and the cloud simulator (`publish`) read it: a site
 * file, optionally with a bulk-user CSV merged in (its people and holdings join the file's),
 * checked as a whole (siteCheck.ts). The parsing is pure (src/access/site/); this reads the files.
 * Errors name file and position.
 */
import { readFile } from 'node:fs/promises';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { StoreCounts } from '../../store/accessStore.js';
import { parseBulkUsersCsv } from '../../access/site/bulkUsersCsv.js';
import { checkSite } from './siteCheck.js';
import { parseSiteFile, type SiteDocument } from '../../access/site/siteFile.js';
import type { RecordLocator, SiteRecords } from '../../access/site/siteRecords.js';

async function readText(path: string, what: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', `cannot read the ${what} ${path}: ${(err as Error).message}`, { field }, { cause: err });
  }
}

/** Reads and parses a site file (YAML, or JSON by its .json extension). */
export async function loadSiteFile(path: string): Promise<SiteDocument> {
  return parseSiteFile(await readText(path, 'site file', 'site'), path);
}

export interface SiteInput {
  records: SiteRecords;
  where: RecordLocator;
  /** the content hash of this site */
  hash: string;
  counts: StoreCounts;
}

export interface FileText {
  text: string;
  source: string;
}

/** A site file's text, with a bulk-user CSV's text merged in, checked as a whole. */
export function siteInputFrom(siteFile: FileText, usersFile?: FileText): SiteInput {
  const site = parseSiteFile(siteFile.text, siteFile.source);
  const records = site.records;
  let where: RecordLocator = site.where;
  if (usersFile !== undefined) {
    if (records.site === null) {
      throw new GatewayError('INPUT_INVALID', `${siteFile.source}: the site file has no site, so the users' expiry dates have no time zone`, { field: 'site', hint: 'add site: {id, name, timeZone}' });
    }
    const users = parseBulkUsersCsv(usersFile.text, usersFile.source, { timeZone: records.site.timeZone, keys: records.keys });
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

export async function loadSiteInput(paths: { site: string; users?: string }): Promise<SiteInput> {
  const site = { text: await readText(paths.site, 'site file', 'site'), source: paths.site };
  const users = paths.users === undefined ? undefined : { text: await readText(paths.users, 'users file', 'users'), source: paths.users };
  return siteInputFrom(site, users);
}
