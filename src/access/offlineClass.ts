/**
 * Credential classes for offline leases (docs/access-model.md "Offline leases"): how long a
 * credential may keep opening doors after the gateway last verified that its rules are the
 * cloud's. A class is derived from what the cloud already sends: a resident's or staff member's
 * phone key is `phone_key`; every other credential is in the class of its holder's kind
 * (person.kind, which defaults to `resident`, so a payload that never names a kind stays valid).
 */
import type { CredentialKind, Person } from './model.js';

export const OFFLINE_CLASSES = ['resident', 'staff', 'guest', 'vendor', 'delivery', 'phone_key'] as const;
export type OfflineClass = (typeof OFFLINE_CLASSES)[number];

/** A class's number in a credential record's flags (FLAG.classShift) and its bit in DecisionTrust.expiredClasses. */
export const OFFLINE_CLASS_CODE: Readonly<Record<OfflineClass, number>> = {
  resident: 0, staff: 1, guest: 2, vendor: 3, delivery: 4, phone_key: 5,
};

export function offlineClassOf(personKind: Person['kind'], credentialKind: CredentialKind): OfflineClass {
  if (credentialKind === 'mobile' && (personKind === 'resident' || personKind === 'staff')) return 'phone_key';
  return personKind;
}
