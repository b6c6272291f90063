/**
 * What the cloud answers to a gateway's sync_request (docs/mqtt.md, "What the cloud must do" 3–4),
 * decided from the simulator's state; cloudSimulator.ts sends it.
 *
 * - Nothing issued yet: nothing to send.
 * - The gateway reports a revision above the newest (the state directory was reset): revisions only
 *   go up, so the current content is issued again as a version above the gateway's, as a snapshot.
 * - want delta from v: the published deltas v → newest if the history has them and the gateway's
 *   hash at v is the one issued for v; else a snapshot. Nothing when the gateway is up to date.
 * - want chunks: those chunks again, same snapshotId, when that snapshot is still the newest
 *   version; else a whole new snapshot (docs: "or send a whole new snapshot").
 * - want snapshot: a snapshot.
 * - apply_failed: a snapshot, once per version: if that fails too the data is wrong and resending
 *   cannot help (the detail says why; fix the site and publish a new version).
 */
import type { SyncRequest } from '../../src/wire/messages.js';
import type { SnapshotRecord, StoredDelta } from './simState.js';

export interface SyncStateView {
  version(): number;
  hash(): string;
  hashAt(version: number): string | undefined;
  deltasFrom(version: number): StoredDelta[] | null;
  snapshotRecord(snapshotId: string): SnapshotRecord | undefined;
}

export type SyncAnswer =
  | { kind: 'deltas'; deltas: StoredDelta[] }
  | { kind: 'snapshot'; why: string; advanceTo?: number }
  | { kind: 'chunks'; snapshotId: string; chunks: number[] }
  | { kind: 'none'; why: string };

export function planSyncAnswer(request: SyncRequest, state: SyncStateView, failedAt: ReadonlySet<number>): SyncAnswer {
  const newest = state.version();
  if (newest === 0) return { kind: 'none', why: 'nothing has been published yet' };
  if (request.revision > newest) {
    return { kind: 'snapshot', why: `the gateway runs revision ${request.revision}, above the simulator's ${newest}`, advanceTo: request.revision + 1 };
  }
  if (request.reason === 'apply_failed') {
    if (failedAt.has(newest)) return { kind: 'none', why: `the gateway cannot apply version ${newest}${request.detail ? `: ${request.detail}` : ''}` };
    return { kind: 'snapshot', why: `the gateway could not apply a change${request.detail ? ` (${request.detail})` : ''}` };
  }
  const want = request.want;
  switch (want.kind) {
    case 'snapshot':
      return { kind: 'snapshot', why: `requested (${request.reason})` };
    case 'chunks': {
      const record = state.snapshotRecord(want.snapshotId);
      if (record === undefined || record.version !== newest || record.version !== want.version) {
        return { kind: 'snapshot', why: `snapshot ${want.snapshotId} is not the newest version (${newest})` };
      }
      const chunks = [...new Set(want.chunks)].filter((c) => c < record.plan.counts.length).sort((a, b) => a - b);
      return chunks.length === 0 ? { kind: 'none', why: `snapshot ${want.snapshotId} has no chunk ${want.chunks.join(', ')}` } : { kind: 'chunks', snapshotId: want.snapshotId, chunks };
    }
    case 'delta': {
      const issued = state.hashAt(request.revision);
      if (issued !== request.hash) {
        return { kind: 'snapshot', why: issued === undefined ? `revision ${request.revision} was not issued by this simulator` : `the gateway's hash at revision ${request.revision} is not the one issued` };
      }
      if (want.fromVersion === newest) return { kind: 'none', why: `the gateway is up to date (version ${newest})` };
      const deltas = state.deltasFrom(want.fromVersion);
      if (deltas === null) return { kind: 'snapshot', why: `no delta history from version ${want.fromVersion}` };
      return { kind: 'deltas', deltas };
    }
  }
}
