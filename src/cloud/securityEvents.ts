/**
 * What happens when a cloud message is rejected (forged, unsigned, wrong key, expired, a
 * rollback, a hash mismatch, a replay): it is counted, logged, journaled (so it reaches the cloud
 * with the other events) and published on up/security_event.
 *
 * A flood of forged messages must not flood the journal (which is bounded: it would evict real
 * access events) nor the broker. So per reason, the first rejection in a window is recorded at
 * once and the rest of that window are folded into one summary with a `repeated` count.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Journal } from '../journal/journal.js';
import type { SecurityEvent, SecurityEventReason } from '../wire/messages.js';

export interface Rejection {
  reason: SecurityEventReason;
  topic: string;
  detail: string;
  kid?: string;
  jti?: string;
}

export interface SecurityCounters {
  total: number;
  byReason: Partial<Record<SecurityEventReason, number>>;
}

export interface SecurityEventsOptions {
  journal: Journal;
  clock: Clock;
  logger: Logger;
  /** best effort; a failed publish is not retried (the journal carries the event anyway) */
  publish: (event: SecurityEvent) => Promise<void>;
  foldWindowMs?: number;
}

interface Window {
  timer: TimerHandle;
  folded: number;
  last: Rejection;
}

export class SecurityEvents {
  private readonly log: Logger;
  private readonly counts: SecurityCounters = { total: 0, byReason: {} };
  private readonly windows = new Map<SecurityEventReason, Window>();

  constructor(private readonly options: SecurityEventsOptions) {
    this.log = options.logger.child({ module: 'cloud:security' });
  }

  report(rejection: Rejection): void {
    this.counts.total += 1;
    this.counts.byReason[rejection.reason] = (this.counts.byReason[rejection.reason] ?? 0) + 1;
    const window = this.windows.get(rejection.reason);
    if (window !== undefined) {
      window.folded += 1;
      window.last = rejection;
      return;
    }
    const { clock } = this.options;
    const timer = clock.setTimeout(() => this.closeWindow(rejection.reason), this.options.foldWindowMs ?? 10_000);
    this.windows.set(rejection.reason, { timer, folded: 0, last: rejection });
    this.record(rejection, 0);
  }

  counters(): SecurityCounters {
    return { total: this.counts.total, byReason: { ...this.counts.byReason } };
  }

  /** Records the folded rejections of every open window now (on stop). */
  flush(): void {
    for (const reason of [...this.windows.keys()]) {
      const window = this.windows.get(reason)!;
      this.options.clock.clearTimeout(window.timer);
      this.closeWindow(reason);
    }
  }

  private closeWindow(reason: SecurityEventReason): void {
    const window = this.windows.get(reason);
    if (window === undefined) return;
    this.windows.delete(reason);
    if (window.folded > 0) this.record(window.last, window.folded);
  }

  private record(rejection: Rejection, repeated: number): void {
    const { journal, clock, publish } = this.options;
    const at = clock.now();
    const event: SecurityEvent = {
      at,
      reason: rejection.reason,
      topic: rejection.topic,
      detail: rejection.detail.slice(0, 1000),
      ...(rejection.kid === undefined ? {} : { kid: rejection.kid }),
      ...(rejection.jti === undefined ? {} : { jti: rejection.jti }),
      ...(repeated > 0 ? { repeated } : {}),
    };
    this.log.warn({ securityEvent: true, ...event }, repeated > 0 ? `${repeated} more cloud messages rejected: ${rejection.reason}` : `cloud message rejected: ${rejection.reason}`);
    try {
      journal.append({ type: 'security', at, reason: rejection.reason, data: { topic: event.topic, detail: event.detail, kid: event.kid, jti: event.jti, repeated } });
    } catch (err) {
      this.log.error({ err }, 'could not journal a security event');
    }
    publish(event).catch((err: unknown) => this.log.debug({ err }, 'security event not published (link down); it is in the journal'));
  }
}
