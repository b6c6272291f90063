/**
 * Uploads the journal to the cloud, exactly once from the journal's point of view:
 *
 * - reads events after the last acknowledged seq (journal.read returns only fsynced events, in
 *   seq order) and publishes them as `up/events` batches `{journalId, events}` at QoS 1;
 * - **one batch in flight**: the next batch is read only after the signed `events_ack` for the
 *   current one arrived; then `journal.acknowledge(uptoSeq)` takes the rows out of the upload queue (never earlier; they stay in the local history);
 * - an ack is taken when it arrives, even when the rows cannot be deleted yet (SQLITE_BUSY: the
 *   rules worker holds the database while it applies a snapshot or delta): the next batch goes out
 *   at once and the deletion waits (`pendingDeleteUpto`), retried when a sync change is done
 *   (retryDelete()) and whenever the journal is looked at; acknowledged events are never sent
 *   again in this run (after a restart before the deletion, they are: the cloud deduplicates);
 * - after a reconnect, or when no ack arrives in time, everything after the last ack is sent
 *   again: redelivery carries the same journalId and seqs (the cloud deduplicates). The wait is
 *   `ackTimeoutMs`, doubled after each resend without an ack up to `maxAckTimeoutMs`; an ack or a
 *   reconnect brings it back to `ackTimeoutMs`;
 * - the backlog drains at most `maxEventsPerSecond`: after sending n events the next batch
 *   waits until n / rate seconds have passed (on the injected Clock's timers);
 * - while idle, the journal is looked at every `pollMs` (the Journal has no event emitter).
 *
 * Acks arrive already verified (the link decodes every cloud message with decodeCloudMessage);
 * acks for another journal, below the current ack, or beyond what was sent are ignored.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { Journal } from '../journal/journal.js';
import type { CloudConfig } from './cloudConfig.js';
import type { EventBatch, EventsAck } from '../wire/messages.js';

/** What the uploader needs from the connection. */
export interface UploadChannel {
  readonly connected: boolean;
  publish(type: 'events', message: EventBatch): Promise<void>;
}

export interface UploaderStatus {
  /** the highest seq the cloud acknowledged in this run (0: none yet) */
  ackedSeq: number;
  /** the highest seq sent since the last ack/reset */
  sentSeq: number;
  /** acknowledged rows up to this seq wait to be deleted (the database was busy); null: none */
  pendingDeleteUpto: number | null;
  /** how long the gateway now waits for an ack before it sends again */
  ackWaitMs: number;
  inFlight: { fromSeq: number; toSeq: number } | null;
  batchesSent: number;
  eventsSent: number;
  /** batches sent again (after a reconnect or an ack timeout) */
  resends: number;
  acks: number;
  ignoredAcks: number;
  lastAckAt: number | null;
}

export interface UploaderEvents {
  sent: [{ fromSeq: number; toSeq: number; resend: boolean }];
  /** the acknowledged rows up to uptoSeq were deleted: at the ack, or once the database was free */
  acked: [{ uptoSeq: number; deleted: number }];
}

export interface EventUploaderOptions {
  upload: CloudConfig['upload'];
  journal: Journal;
  channel: UploadChannel;
  clock: Clock;
  logger: Logger;
}

export class EventUploader extends EventEmitter<UploaderEvents> {
  private readonly options: EventUploaderOptions;
  private readonly log: Logger;
  private running = false;
  private ackedSeq = 0;
  /** ackedSeq came from a real ack in this run (so an eviction gap after it can be reported) */
  private ackKnown = false;
  private sentSeq = 0;
  /** the highest seq ever sent: an ack beyond it is clamped */
  private maxSentSeq = 0;
  private inFlight: { fromSeq: number; toSeq: number } | null = null;
  private nextAllowedAt = 0;
  private wakeTimer: TimerHandle | null = null;
  private ackTimer: TimerHandle | null = null;
  private resending = false;
  /** acknowledged, not yet deleted */
  private pendingDelete: number | null = null;
  /** resends in a row without an ack (the ack wait doubles with each) */
  private unansweredResends = 0;
  private counters = { batchesSent: 0, eventsSent: 0, resends: 0, acks: 0, ignoredAcks: 0 };
  private lastAckAt: number | null = null;

  constructor(options: EventUploaderOptions) {
    super();
    this.options = options;
    this.log = options.logger.child({ module: 'cloud:upload' });
  }

  async start(): Promise<void> {
    if (this.running) return;
    const first = this.options.journal.stats().firstSeq;
    this.ackedSeq = first === null ? 0 : first - 1;
    this.sentSeq = this.ackedSeq;
    this.running = true;
    this.pump();
  }

  async stop(): Promise<void> {
    if (this.running) this.retryDelete();
    this.running = false;
    this.clearWake();
    this.clearAckTimer();
    this.inFlight = null;
  }

  /** The connection is (back) up: send everything after the last ack again. */
  onConnected(): void {
    this.unansweredResends = 0;
    this.resetToAcked();
    this.pump();
  }

  onDisconnected(): void {
    this.clearAckTimer();
    this.resetToAcked();
  }

  /** A verified events_ack. */
  onAck(ack: EventsAck, jti?: string): void {
    if (!this.running) return;
    const journal = this.options.journal;
    if (ack.journalId !== journal.id) {
      this.ignored('another journal', ack, jti);
      return;
    }
    if (ack.uptoSeq <= this.ackedSeq) {
      this.ignored('not above the current ack', ack, jti);
      return;
    }
    let upto = ack.uptoSeq;
    if (upto > this.maxSentSeq) {
      this.log.warn({ uptoSeq: upto, maxSentSeq: this.maxSentSeq, jti }, 'events_ack beyond what was sent; clamped');
      upto = this.maxSentSeq;
      if (upto <= this.ackedSeq) {
        this.counters.ignoredAcks += 1;
        return;
      }
    }
    // taken now, whether or not the rows can be deleted now: the cloud has them
    this.ackedSeq = upto;
    this.ackKnown = true;
    this.counters.acks += 1;
    this.unansweredResends = 0;
    this.lastAckAt = this.options.clock.now();
    if (this.sentSeq < upto) this.sentSeq = upto;
    if (this.inFlight !== null && upto >= this.inFlight.toSeq) {
      this.inFlight = null;
      this.clearAckTimer();
    }
    this.log.debug({ uptoSeq: upto, jti }, 'events acknowledged');
    this.pendingDelete = upto;
    this.retryDelete();
    this.pump();
  }

  /**
   * Deletes the acknowledged rows that wait for it, if the database lets it now; 'acked' is
   * emitted once they are deleted. Called by the link when a sync change is done, and by the pump.
   */
  retryDelete(): void {
    const upto = this.pendingDelete;
    if (upto === null || !this.running) return;
    let deleted: number;
    try {
      deleted = this.options.journal.acknowledge(upto);
    } catch (err) {
      // SQLITE_BUSY: the rules worker holds the database while it applies a sync; expected, brief
      const busy = (err as { code?: unknown }).code === 'SQLITE_BUSY';
      if (busy) this.log.debug({ uptoSeq: upto }, 'the database is busy with a sync; the acknowledged rows are deleted when it is free');
      else this.log.error({ err, uptoSeq: upto }, 'deleting acknowledged rows failed; tried again later (they are not sent again)');
      return;
    }
    this.pendingDelete = null;
    this.emit('acked', { uptoSeq: upto, deleted });
  }

  status(): UploaderStatus {
    return {
      ackedSeq: this.ackedSeq,
      sentSeq: this.sentSeq,
      pendingDeleteUpto: this.pendingDelete,
      ackWaitMs: this.ackWaitMs(),
      inFlight: this.inFlight === null ? null : { ...this.inFlight },
      ...this.counters,
      lastAckAt: this.lastAckAt,
    };
  }

  private ignored(why: string, ack: EventsAck, jti: string | undefined): void {
    this.counters.ignoredAcks += 1;
    this.log.info({ why, journalId: ack.journalId, uptoSeq: ack.uptoSeq, ackedSeq: this.ackedSeq, jti }, 'events_ack ignored');
  }

  private resetToAcked(): void {
    if (this.inFlight !== null || this.sentSeq > this.ackedSeq) this.resending = true;
    this.inFlight = null;
    this.sentSeq = this.ackedSeq;
    this.clearAckTimer();
  }

  /** Sends the next batch if allowed now; otherwise arranges to be called again. */
  private pump(): void {
    if (!this.running || this.inFlight !== null) return;
    this.clearWake();
    const { channel, clock, journal, upload } = this.options;
    this.retryDelete();
    if (!channel.connected) return; // onConnected() resumes
    const now = clock.now();
    if (now < this.nextAllowedAt) {
      this.wake(this.nextAllowedAt - now);
      return;
    }
    let events;
    try {
      events = journal.read(this.sentSeq, upload.batchSize);
    } catch (err) {
      this.log.error({ err }, 'reading the journal failed');
      this.wake(upload.pollMs);
      return;
    }
    if (events.length === 0) {
      this.wake(upload.pollMs);
      return;
    }
    const fromSeq = events[0]!.seq;
    const toSeq = events[events.length - 1]!.seq;
    const batch: EventBatch = { journalId: journal.id, events };
    if (this.ackKnown && fromSeq > this.ackedSeq + 1 && this.sentSeq === this.ackedSeq) {
      batch.skipped = { fromSeq: this.ackedSeq + 1, toSeq: fromSeq - 1 };
    }
    const resend = this.resending;
    this.resending = false;
    this.inFlight = { fromSeq, toSeq };
    this.sentSeq = toSeq;
    this.maxSentSeq = Math.max(this.maxSentSeq, toSeq);
    this.nextAllowedAt = now + (events.length * 1000) / upload.maxEventsPerSecond;
    this.counters.batchesSent += 1;
    this.counters.eventsSent += events.length;
    if (resend) this.counters.resends += 1;
    this.armAckTimer();
    channel.publish('events', batch).catch((err: unknown) => {
      // A failed publish (disconnect) is resent after the reconnect; nothing is lost.
      this.log.debug({ err, fromSeq, toSeq }, 'publishing an event batch failed');
    });
    this.log.debug({ fromSeq, toSeq, resend }, 'event batch sent');
    this.emit('sent', { fromSeq, toSeq, resend });
  }

  private wake(ms: number): void {
    this.clearWake();
    this.wakeTimer = this.options.clock.setTimeout(() => {
      this.wakeTimer = null;
      this.pump();
    }, Math.max(0, Math.ceil(ms)));
  }

  private clearWake(): void {
    if (this.wakeTimer !== null) this.options.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  /** ackTimeoutMs, doubled for each resend in a row without an ack, at most maxAckTimeoutMs. */
  private ackWaitMs(): number {
    const { ackTimeoutMs, maxAckTimeoutMs } = this.options.upload;
    return Math.min(maxAckTimeoutMs, ackTimeoutMs * 2 ** Math.min(this.unansweredResends, 32));
  }

  private armAckTimer(): void {
    this.clearAckTimer();
    const waitMs = this.ackWaitMs();
    this.ackTimer = this.options.clock.setTimeout(() => {
      this.ackTimer = null;
      if (!this.running || this.inFlight === null) return;
      this.log.warn({ ...this.inFlight, waitedMs: waitMs }, 'no events_ack in time; sending again');
      this.unansweredResends += 1;
      this.resetToAcked();
      this.pump();
    }, waitMs);
  }

  private clearAckTimer(): void {
    if (this.ackTimer !== null) this.options.clock.clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }
}
