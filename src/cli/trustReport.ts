/**
 * `lockgw status`'s lines for the clock's trust and the offline lease (docs/access-model.md),
 * from the daemon's answer; null fields: a gateway without a cloud link, which judges neither.
 */
import type { ClockStatus, LeaseStatus } from '../engine/offlineTrust.js';

/** A duration as people read it: 90 s, 12 min, 5 h, 14 d (rounded, sign kept). */
function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1_000) return `${sign}${a} ms`;
  if (a < 120_000) return `${sign}${Math.round(a / 1_000)} s`;
  if (a < 2 * 3_600_000) return `${sign}${Math.round(a / 60_000)} min`;
  if (a < 2 * 86_400_000) return `${sign}${Math.round(a / 3_600_000)} h`;
  return `${sign}${Math.round(a / 86_400_000)} d`;
}

export function trustLines(clock: ClockStatus | null, lease: LeaseStatus | null): string[] {
  if (clock === null || lease === null) {
    return [
      'clock        not judged: no cloud link to judge it against (keep the system clock synchronised)',
      'lease        none: a standalone gateway has no offline lease',
    ];
  }
  const skew = clock.skewMs === null ? '' : ` (skew ${clock.skewMs >= 0 ? '+' : ''}${formatDuration(clock.skewMs)})`;
  const clockLine = clock.trusted
    ? `clock        trusted${skew}`
    : `clock        UNTRUSTED: ${clock.reason}${skew} since ${new Date(clock.untrustedSince ?? clock.lastTrustedAt).toISOString()}; time-restricted grants are denied until a heartbeat agrees`;
  const bound = lease.maxRevocationStalenessMs === null ? 'unbounded (a class fails open)' : formatDuration(lease.maxRevocationStalenessMs);
  const past = [
    ...lease.expired.map((c) => `${c} DENIED`),
    ...lease.failingOpen.map((c) => `${c} failing open`),
  ];
  const leaseLine = `lease        rules verified ${formatDuration(lease.staleForMs)} ago; max revocation staleness ${bound}${past.length ? `; past the lease: ${past.join(', ')}` : ''}`;
  return [clockLine, leaseLine];
}
