/**
 * `lockgw site export`: the rules in force as a site file (sections, docs/standalone.md) that
 * `lockgw site apply` takes back unchanged — export then apply is no change. Instants are written
 * as ISO 8601 in UTC. A PIN is written as its digest (`pinDigest`, the HMAC with this gateway's
 * device secret), never in clear: the gateway does not know it. Such a PIN can be kept but not
 * moved to another gateway, and the cloud simulator refuses it. The PIN policy, when one was set,
 * is written as its section (`pinPolicy`); the keycard stock is the gateway's own, not the site's.
 */
import { stringify } from 'yaml';
import type { Credential } from '../../access/model.js';
import { credentialInput } from '../../access/site/siteRecords.js';
import type { PinPolicy } from '../../access/pinPolicy.js';
import type { AccessStore } from '../../store/accessStore.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** Drops undefined fields (YAML and JSON alike show only what is set). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function exported(c: Credential): Record<string, unknown> {
  const validity = { validFrom: iso(c.validFrom), validUntil: iso(c.validUntil) };
  if (c.kind !== 'pin') return defined({ ...credentialInput(c), ...validity });
  return defined({ id: c.id, personId: c.personId, kind: 'pin', pinDigest: c.value, status: c.status, ...validity, useLimit: c.useLimit, duress: c.duress, label: c.label });
}

/** `pinPolicy`: the site's, when one was set (the default is not written). */
export function exportSite(store: AccessStore, format: 'yaml' | 'json', pinPolicy?: PinPolicy): string {
  const doc = {
    ...(store.site() ? { site: store.site() } : {}),
    ...(pinPolicy ? { pinPolicy } : {}),
    doors: [...store.doors()],
    holidays: [...store.holidays()],
    schedules: [...store.schedules()],
    keys: [...store.keys()],
    people: [...store.people()].map((p) => defined(p)),
    holdings: [...store.holdings()].map((h) => defined({ ...h, validFrom: iso(h.validFrom), validUntil: iso(h.validUntil) })),
    credentials: [...store.credentials()].map(exported),
  };
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 });
}
