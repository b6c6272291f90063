/**
 * A whole site as records, entity by entity: what a site file (plus a bulk-user CSV) describes and
 * what the simulator's state holds. Records are in their validated form (defaults filled, instants
 * in epoch ms, card numbers normalised), which is also a valid form to send.
 *
 * The simulator keeps PINs in clear (`clearPins`): it plays the cloud, which must send each PIN to
 * every gateway of a site, so its store's credential `value` of a PIN is the PIN itself. PINs are
 * outside the content hash, so the hash is the gateway's all the same.
 */
import type { Entity, UpsertOp } from '../batchOpSchema.js';
import type { Credential, CredentialInput, Door, Holding, Holiday, Key, Person, Schedule, Site } from '../model.js';
import type { PinHasher } from '../pinDigest.js';
import type { PinPolicy } from '../pinPolicy.js';

export interface SiteRecords {
  site: Site | null;
  doors: Door[];
  holidays: Holiday[];
  schedules: Schedule[];
  keys: Key[];
  people: Person[];
  holdings: Holding[];
  credentials: CredentialInput[];
  /**
   * PIN credentials as a gateway exports them (`lockgw site export`): the digest stands for the
   * PIN, which the gateway never holds in clear. They can only be kept as they are; only the
   * gateway that wrote them (same device secret) knows them.
   */
  keptPins?: Credential[];
  /** the site's PIN policy for local allocation; absent: the default (a gateway's own state, never sent to a gateway by the simulator) */
  pinPolicy?: PinPolicy;
}

/** Where a record was defined ("site.yaml:12:5"), if known. */
export type RecordLocator = (entity: Entity, key: string) => string | undefined;

export function emptySiteRecords(): SiteRecords {
  return { site: null, doors: [], holidays: [], schedules: [], keys: [], people: [], holdings: [], credentials: [], keptPins: [] };
}

/** The record of an upsert of entity E. */
export type RecordOf<E extends Entity> = Extract<UpsertOp, { entity: E }>['record'];

/** What identifies a record within its entity: its id, a holiday's date, a holding's person and key. */
export function recordKey(entity: Entity, record: unknown): string {
  const r = record as Record<string, unknown>;
  switch (entity) {
    case 'site':
      return 'site';
    case 'holiday':
      return String(r.date);
    case 'holding':
      return `${String(r.personId)}/${String(r.keyId)}`;
    default:
      return String(r.id);
  }
}

/** The simulator's PIN "hasher": the store keeps the PIN itself (see the file comment). */
export const clearPins: PinHasher = (pin) => pin;

const defined = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** A stored credential (of a store using `clearPins`) in the form the cloud sends it. */
export function credentialInput(c: Credential): CredentialInput {
  const common = {
    id: c.id, personId: c.personId, status: c.status, validFrom: c.validFrom, validUntil: c.validUntil,
    useLimit: c.useLimit, duress: c.duress, label: c.label,
  };
  switch (c.kind) {
    case 'pin':
      return defined({ ...common, kind: 'pin', pin: c.value });
    case 'card':
      return defined({ ...common, kind: 'card', card: c.value });
    case 'fingerprint': {
      const at = c.value.lastIndexOf(':');
      return defined({ ...common, kind: 'fingerprint', readerId: c.value.slice(0, at), slot: Number(c.value.slice(at + 1)) });
    }
    case 'mobile':
      return defined({ ...common, kind: 'mobile', mobileKeyId: c.value, publicKey: c.publicKey });
  }
}
