/**
 * The sync_request messages of the state sync (stateSync.ts): each with a fresh transaction id,
 * and the same request (reason and want) not sent twice within the retry interval unless forced:
 * a request for another reason goes out (a heartbeat ahead right after a stale request says
 * something else to the cloud).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import type { SyncRequest } from '../wire/messages.js';

export interface SyncRequestsOptions {
  clock: Clock;
  /** a request equal to the last one (reason and want), within this long of it, is not sent again */
  retryMs: number;
  /** what the gateway has applied: revision and hash */
  applied: () => { revision: number; hash: string };
}

export class SyncRequests {
  private last: { key: string; at: number } | null = null;
  private transactions = 0;

  constructor(private readonly options: SyncRequestsOptions) {}

  /** The request to send, or null when the same one went out less than retryMs ago (`force` skips that check). */
  next(reason: SyncRequest['reason'], want: SyncRequest['want'], force: boolean, detail?: string): SyncRequest | null {
    const now = this.options.clock.now();
    const key = JSON.stringify([reason, want]);
    if (!force && this.last !== null && this.last.key === key && now - this.last.at < this.options.retryMs) return null;
    this.last = { key, at: now };
    const applied = this.options.applied();
    this.transactions += 1;
    return {
      transaction: `sync-${this.transactions}-${randomBytes(4).toString('hex')}`,
      revision: applied.revision,
      hash: applied.hash,
      reason,
      want,
      ...(detail === undefined ? {} : { detail: detail.slice(0, 1000) }),
    };
  }
}
