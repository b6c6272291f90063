/**
 * What the gateway applied, revision by revision, so that a delta the gateway already has
 * (`toVersion` ≤ the applied revision) can be told from a true duplicate: the same message again
 * (a QoS 1 redelivery, a resend in answer to a request), or one whose content differs from what was
 * applied (a replayed message from another history, or a cloud whose revisions went wrong).
 *
 * Kept per revision the change reached: the hash it carried and, for a delta, a digest of its
 * content (fromVersion, toVersion, hash and operations; not its `transaction`, which an answer to a
 * request adds). The digest is an HMAC under a key made when the first one is taken and held only
 * in memory: the operations carry PINs in clear, and a plain hash of a short PIN could be
 * reversed. Bounded: the newest MAX_REVISIONS revisions, since the gateway started; after a
 * restart only the running revision's hash is known (from the target).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Delta } from '../wire/messages.js';
import type { AppliedState } from './syncTarget.js';

/** revisions remembered (the oldest is forgotten first) */
const MAX_REVISIONS = 1000;

interface Reached {
  /** the hash the change that reached this revision carried */
  hash: string;
  /** for a delta: where it started and the digest of its content */
  delta?: { fromVersion: number; digest: string };
}

export type StaleDeltaVerdict = { duplicate: true } | { duplicate: false; detail: string };

export class AppliedHistory {
  private readonly byRevision = new Map<number, Reached>();
  private key: Buffer | null = null;

  /** A delta that was applied (alone, or in a run of consecutive ones). */
  delta(delta: Delta): void {
    this.remember(delta.toVersion, { hash: delta.hash, delta: { fromVersion: delta.fromVersion, digest: this.digest(delta) } });
  }

  /** A snapshot that was applied: the whole state at its revision. */
  snapshot(state: AppliedState): void {
    this.remember(state.revision, { hash: state.hash });
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

  private remember(revision: number, reached: Reached): void {
    this.byRevision.delete(revision);
    this.byRevision.set(revision, reached);
    if (this.byRevision.size > MAX_REVISIONS) this.byRevision.delete(this.byRevision.keys().next().value!);
  }

  private digest(delta: Delta): string {
    this.key ??= randomBytes(32);
    const content = JSON.stringify([delta.fromVersion, delta.toVersion, delta.hash, delta.operations]);
    return createHmac('sha256', this.key).update(content).digest('base64url');
  }
}
