/**
 * Keeps the retained door_status messages (one per door) up to date.
 *
 * - poke(): something may have changed. Each door's status is compared with the last one
 *   published (doorStatusFingerprint: times do not count) and only changed doors are published,
 *   at most once per door per `minIntervalMs`: a change inside the interval is held back and,
 *   when the interval ends, the door is read again and its then-current status published. So a
 *   burst of changes costs at most one publish per interval, and its last change always goes out.
 * - onConnected(): every door is published now (the messages are retained: a reconnect refreshes
 *   what the broker holds, and republishes whatever failed while the link was down).
 * - Every `refreshMs` every door is published again, changed or not.
 * - A publish that rejects (link down) is logged, never thrown; the door is not retried until the
 *   next onConnected or refresh, or until it changes again.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../kernel/clock.js';
import type { DoorStatusReport } from './doorStatusMessage.js';
import { doorStatusFingerprint, toDoorStatusMessage } from './doorStatusMessage.js';
import type { DoorStatusMessage } from '../wire/messages.js';

export interface DoorStatusPublisherOptions {
  clock: Clock;
  logger: Logger;
  /** every door's current status (SiteDoors.status) */
  read: () => DoorStatusReport[];
  /** publishes one door_status; rejects when it could not (link down) */
  publish: (status: DoorStatusMessage) => Promise<void>;
  /** the least time between two publishes of one door by poke(); default 1000 */
  minIntervalMs?: number;
  /** every door is published again this often; default 300,000 */
  refreshMs?: number;
}

interface PublishedDoor {
  /** fingerprint of the last status sent (or attempted) */
  fingerprint: string;
  sentAt: number;
  /** a held-back change waits for this timer */
  timer: TimerHandle | null;
}

export class DoorStatusPublisher {
  private readonly options: DoorStatusPublisherOptions;
  private readonly log: Logger;
  private readonly doors = new Map<string, PublishedDoor>();
  private running = false;
  private refreshTimer: TimerHandle | null = null;
  private failing = false;

  constructor(options: DoorStatusPublisherOptions) {
    this.options = options;
    this.log = options.logger.child({ module: 'cloud:door_status' });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.armRefresh();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.options.clock.clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    for (const door of this.doors.values()) this.cancelHeldBack(door);
  }

  /** Something may have changed: publish the doors whose status did (rate-limited per door). */
  poke(): void {
    if (!this.running) return;
    const statuses = this.readAll();
    if (statuses === null) return;
    const { clock } = this.options;
    const minIntervalMs = this.options.minIntervalMs ?? 1000;
    this.forgetDoorsNotIn(statuses);
    for (const status of statuses) {
      const door = this.doors.get(status.doorId);
      if (door === undefined) {
        this.send(status);
        continue;
      }
      if (door.timer !== null || door.fingerprint === doorStatusFingerprint(status)) continue;
      const wait = door.sentAt + minIntervalMs - clock.now();
      if (wait <= 0) {
        this.send(status);
      } else {
        door.timer = clock.setTimeout(() => this.publishHeldBack(status.doorId), wait);
      }
    }
  }

  /** The link is (back) up: publish every door. */
  onConnected(): void {
    if (this.running) this.publishAll('connected');
  }

  private publishAll(why: string): void {
    const statuses = this.readAll();
    if (statuses === null) return;
    this.forgetDoorsNotIn(statuses);
    this.log.debug({ doors: statuses.length, why }, 'publishing every door status');
    for (const status of statuses) this.send(status);
  }

  private publishHeldBack(doorId: string): void {
    const door = this.doors.get(doorId);
    if (door === undefined) return;
    door.timer = null;
    if (!this.running) return;
    const status = this.readAll()?.find((s) => s.doorId === doorId);
    if (status !== undefined && doorStatusFingerprint(status) !== door.fingerprint) this.send(status);
  }

  private send(status: DoorStatusReport): void {
    const now = this.options.clock.now();
    const existing = this.doors.get(status.doorId);
    if (existing !== undefined) this.cancelHeldBack(existing);
    this.doors.set(status.doorId, { fingerprint: doorStatusFingerprint(status), sentAt: now, timer: null });
    let pending: Promise<void>;
    try {
      pending = this.options.publish(toDoorStatusMessage(status, now));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      () => {
        if (this.failing) this.log.info('door status published again');
        this.failing = false;
      },
      (err: unknown) => {
        const fields = { doorId: status.doorId, code: (err as { code?: unknown } | null)?.code };
        const message = `door status not published: ${err instanceof Error ? err.message : String(err)}`;
        if (this.failing) this.log.debug(fields, message);
        else this.log.warn(fields, `${message}; republished on the next connect`);
        this.failing = true;
      },
    );
  }

  private readAll(): DoorStatusReport[] | null {
    try {
      return this.options.read();
    } catch (err) {
      this.log.error({ err }, 'could not read the door statuses');
      return null;
    }
  }

  private forgetDoorsNotIn(statuses: readonly DoorStatusReport[]): void {
    const ids = new Set(statuses.map((s) => s.doorId));
    for (const [doorId, door] of this.doors) {
      if (ids.has(doorId)) continue;
      this.cancelHeldBack(door);
      this.doors.delete(doorId);
    }
  }

  private cancelHeldBack(door: PublishedDoor): void {
    this.options.clock.clearTimeout(door.timer);
    door.timer = null;
  }

  private armRefresh(): void {
    const refreshMs = this.options.refreshMs ?? 300_000;
    this.refreshTimer = this.options.clock.setTimeout(() => {
      this.refreshTimer = null;
      if (!this.running) return;
      this.publishAll('periodic refresh');
      this.armRefresh();
    }, refreshMs);
  }
}
