/**
 * What the gateway applied, revision by revision, so that a delta the gateway already has
 * (`toVersion` ≤ the applied revision) can be told from a true duplicate: the same message again
 * (a QoS 1 redelivery, a resend in answer to a request), or one whose content differs from what was
 * applied (a replayed message from another history, or a cloud whose revisions went wrong).
 *
 * Kept per revision the change reached: the hash it carried and, for a delta, a digest of its
 * content (fromVersion, toVersion, hash and operations; not its `transaction`, which an answer to a
 * request adds). The digest is an HMAC: the operations carry PINs in clear, and a plain hash of a
 * short PIN could be reversed. Bounded: the newest MAX_REVISIONS revisions.
 *
 * With a ledger (appliedRevisionLedger.ts, the gateway's database) the memory survives a restart:
 * the key is derived from the device secret (which lives outside the database, like the PIN
 * digests' key), each applied change is written before it is acknowledged, and start() loads
 * the newest revisions back. The write follows the apply's own transaction rather than sharing
 * it (the rules worker applies on its own connection): a crash between the two loses that
 * revision's memory, which is then judged as without a ledger. Without a ledger the key is
 * random, in memory, and after a restart only the running revision's hash is known (from the
 * target).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Delta } from '../wire/messages.js';
import type { AppliedRevision, AppliedRevisionLedger } from './appliedRevisionLedger.js';
import type { AppliedState } from './syncTarget.js';

/** revisions remembered (the oldest is forgotten first) */
const MAX_REVISIONS = 1000;

type Reached = Omit<AppliedRevision, 'revision'>;

/** Keeps the memory in the gateway's database; `deviceSecret` keys the digests. */
export interface AppliedHistoryPersistence {
  ledger: AppliedRevisionLedger;
  deviceSecret: Uint8Array;
}

/** the digests' key, derived from the device secret so that it is the same after a restart */
function digestKey(deviceSecret: Uint8Array): Buffer {
  return createHmac('sha256', deviceSecret).update('lockgw applied-history digest v1').digest();
}

export type StaleDeltaVerdict = { duplicate: true } | { duplicate: false; detail: string };

export class AppliedHistory {
  private readonly byRevision = new Map<number, Reached>();
  private key: Buffer | null;

  constructor(private readonly persistence?: AppliedHistoryPersistence & { log: Logger }) {
    this.key = persistence === undefined ? null : digestKey(persistence.deviceSecret);
  }

  /** Loads what the ledger remembers; a table it cannot read leaves the memory empty and says so. */
  load(): void {
    if (this.persistence === undefined) return;
    const { ledger, log } = this.persistence;
    try {
      const { revisions, skipped } = ledger.load(MAX_REVISIONS);
      for (const { revision, ...reached } of revisions) this.byRevision.set(revision, reached);
      if (skipped > 0) log.warn({ skipped }, `${skipped} remembered applied revision(s) could not be read and were left out`);
    } catch (err) {
      log.error({ err }, 'the applied revisions could not be read: old deltas are judged by the running revision only');
    }
  }

  /** The deltas that were applied (one, or a run of consecutive ones applied as one change). */
  deltas(deltas: readonly Delta[]): void {
    this.remember(deltas.map((d) => ({ revision: d.toVersion, hash: d.hash, delta: { fromVersion: d.fromVersion, digest: this.digest(d) } })));
  }

  /** A snapshot that was applied: the whole state at its revision. */
  snapshot(state: AppliedState): void {
    this.remember([{ revision: state.revision, hash: state.hash }]);
  }

  /**
   * A delta with toVersion ≤ `applied.revision`: a duplicate unless its hash differs from the one
   * the gateway reached that revision with, or it spans the same revisions as an applied delta with
   * other content. A revision the gateway does not remember counts as a duplicate (it cannot tell).
   */
  judge(delta: Delta, applied: AppliedState): StaleDeltaVerdict {
    const range = `delta ${delta.fromVersion}→${delta.toVersion}`;
    const reached = this.byRevision.get(delta.toVersion) ?? (delta.toVersion === applied.revision ? { hash: applied.hash } : undefined);
    if (reached === undefined) return { duplicate: true };
    if (reached.hash !== delta.hash) {
      return { duplicate: false, detail: `${range} carries hash ${delta.hash}, but revision ${delta.toVersion} was reached with hash ${reached.hash}: not applied` };
    }
    if (reached.delta !== undefined && reached.delta.fromVersion === delta.fromVersion && reached.delta.digest !== this.digest(delta)) {
      return { duplicate: false, detail: `${range} has other operations than the ${range} that was applied (same hash): not applied` };
    }
    return { duplicate: true };
  }

  private remember(revisions: readonly AppliedRevision[]): void {
    for (const { revision, ...reached } of revisions) {
      this.byRevision.delete(revision);
      this.byRevision.set(revision, reached);
      if (this.byRevision.size > MAX_REVISIONS) this.byRevision.delete(this.byRevision.keys().next().value!);
    }
    if (this.persistence === undefined) return;
    try {
      this.persistence.ledger.remember(revisions, MAX_REVISIONS);
    } catch (err) {
      // the change is applied already; only its memory after a restart is lost
      this.persistence.log.error({ err, revisions: revisions.map((r) => r.revision) }, 'the applied revisions could not be written down: after a restart they are judged by the running revision only');
    }
  }

  private digest(delta: Delta): string {
    this.key ??= randomBytes(32);
    const content = JSON.stringify([delta.fromVersion, delta.toVersion, delta.hash, delta.operations]);
    return createHmac('sha256', this.key).update(content).digest('base64url');
  }
}
