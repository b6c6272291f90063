/**
 * The deltas that wait to be applied (stateSync.ts): ahead of a gap, or arrived in a burst, by
 * `fromVersion`. Bounded: when full, the ones closest to the applied revision are kept (they are
 * the next to fit). Consecutive ones are taken as one run, so a burst is one change.
 */
import type { Delta } from '../wire/messages.js';

export interface QueuedDelta {
  delta: Delta;
  jti: string;
}

/** The most operations applied as one change when consecutive deltas are waiting. */
const MAX_RUN_OPERATIONS = 200_000;

export class DeltaQueue {
  private readonly byFrom = new Map<number, QueuedDelta>();

  constructor(private readonly maxDeltas: number) {}

  get size(): number {
    return this.byFrom.size;
  }

  add(delta: Delta, jti: string): void {
    const held = this.byFrom.get(delta.fromVersion);
    if (held !== undefined) {
      if (held.delta.toVersion >= delta.toVersion) return;
    } else if (this.byFrom.size >= this.maxDeltas) {
      const furthest = Math.max(...this.byFrom.keys());
      if (furthest < delta.fromVersion) return;
      this.byFrom.delete(furthest);
    }
    this.byFrom.set(delta.fromVersion, { delta, jti });
  }

  /** Puts back a run that was taken (to apply it one delta at a time). */
  putBack(run: readonly QueuedDelta[]): void {
    for (const queued of run) this.byFrom.set(queued.delta.fromVersion, queued);
  }

  clear(): void {
    this.byFrom.clear();
  }

  /** The end of the chain of waiting deltas that starts at `from`. */
  chainEnd(from: number): number {
    let end = from;
    for (let next = this.byFrom.get(end); next !== undefined; next = this.byFrom.get(end)) end = next.delta.toVersion;
    return end;
  }

  /** The first waiting delta past `from` (the far side of a gap), or `fallback`. */
  firstBeyond(from: number, fallback: number): number {
    let first = fallback;
    for (const key of this.byFrom.keys()) if (key > from && key < first) first = key;
    return first;
  }

  /**
   * Forgets what `revision` already covers and takes the run of consecutive deltas from it (one
   * delta when `singleStep`, and never more than MAX_RUN_OPERATIONS after the first); empty when
   * none fits.
   */
  takeRun(revision: number, singleStep: boolean): QueuedDelta[] {
    for (const [from, queued] of this.byFrom) if (queued.delta.toVersion <= revision) this.byFrom.delete(from);
    const run: QueuedDelta[] = [];
    let operations = 0;
    for (let next = this.byFrom.get(revision); next !== undefined; next = this.byFrom.get(next.delta.toVersion)) {
      if (run.length > 0 && (singleStep || operations + next.delta.operations.length > MAX_RUN_OPERATIONS)) break;
      run.push(next);
      operations += next.delta.operations.length;
    }
    for (const queued of run) this.byFrom.delete(queued.delta.fromVersion);
    return run;
  }
}
