/**
 * Decoded messages waiting for the exchange that asked for them. `next(ms)` resolves with the
 * oldest message, or rejects DEVICE_TIMEOUT after `ms` on the injected clock, or DEVICE_OFFLINE
 * once the link closed. At most `limit` unclaimed messages are kept (the oldest go first): a
 * chatty or hostile peer cannot grow memory.
 */
import type { Clock } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { NukiMessage } from './nukiFrame.js';

interface Waiter {
  resolve: (message: NukiMessage) => void;
  reject: (err: Error) => void;
}

export class NukiInbox {
  private readonly queue: NukiMessage[] = [];
  private waiter: Waiter | null = null;
  private closedReason: string | null = null;

  constructor(private readonly clock: Clock, private readonly peer: string, private readonly limit = 16) {}

  push(message: NukiMessage): void {
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(message);
      return;
    }
    this.queue.push(message);
    if (this.queue.length > this.limit) this.queue.shift();
  }

  /** Drops unclaimed messages (a new exchange must not see an old exchange's answers). */
  clear(): void {
    this.queue.length = 0;
  }

  close(reason: string): void {
    this.closedReason = reason;
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = null;
      reject(new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} closed: ${reason}`, { id: this.peer }));
    }
  }

  next(timeoutMs: number, waitingFor: string): Promise<NukiMessage> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedReason !== null) {
      return Promise.reject(new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} closed: ${this.closedReason}`, { id: this.peer }));
    }
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.waiter = null;
        reject(new GatewayError('DEVICE_TIMEOUT', `no ${waitingFor} from ${this.peer} within ${timeoutMs} ms`, { id: this.peer }));
      }, timeoutMs);
      this.waiter = {
        resolve: (m) => { this.clock.clearTimeout(timer); resolve(m); },
        reject: (e) => { this.clock.clearTimeout(timer); reject(e); },
      };
    });
  }
}
