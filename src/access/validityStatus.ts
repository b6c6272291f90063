/** ACTIVE / UPCOMING / EXPIRED, as property portals show a holding or a credential, derived from now. */
export type ValidityStatus = 'ACTIVE' | 'UPCOMING' | 'EXPIRED';

export function validityStatus(validFrom: number | undefined, validUntil: number | undefined, now: number): ValidityStatus {
  if (validFrom !== undefined && now < validFrom) return 'UPCOMING';
  if (validUntil !== undefined && now >= validUntil) return 'EXPIRED';
  return 'ACTIVE';
}
