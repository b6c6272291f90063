/**
 * A door's learn mode, for the installer: for a bounded time (on the injected Clock) the next
 * unknown card or keypad code at the door is handed to one listener (the installer's
 * connection) and nowhere else. The door decides it as usual (it is denied and the denial is
 * journaled as always); this file journals only that something was learned, by kind, never the
 * value: `learn_started` and `learn_ended` with the operator, `learn_captured` with the kind.
 * One learn mode per door at a time; it ends at the first capture, at its deadline, when the
 * listener cancels it, or when the door stops.
 */
import type { Clock, TimerHandle } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { JournalEvent } from '../journal/journal.js';

/** What was learned: a normalised card number (kernel/cardNumber.ts) or the digits typed on the keypad. */
export interface LearnedCredential {
  kind: 'card' | 'pin';
  value: string;
}

export type LearnEnd = 'learned' | 'timeout' | 'cancelled' | 'stopped';

export interface LearnListener {
  /** the value, for the installer only: never logged, journaled or uploaded */
  learned(credential: LearnedCredential): void;
  ended(reason: LearnEnd): void;
}

/** who asked (a proven operator of the control socket) */
export interface Operator {
  uid: number;
  user: string | null;
}

interface LearnSession {
  by: Operator;
  listener: LearnListener;
  timer: TimerHandle;
}

export class DoorLearning {
  private session: LearnSession | null = null;

  constructor(
    private readonly doorId: string,
    private readonly clock: Clock,
    private readonly record: (event: Omit<JournalEvent, 'at'>) => void,
  ) {}

  get active(): boolean {
    return this.session !== null;
  }

  /** Starts learn mode for `forMs`; returns the function that cancels it. Throws UNAVAILABLE while one runs. */
  start(forMs: number, by: Operator, listener: LearnListener): () => void {
    if (this.session) {
      const other = this.session.by;
      throw new GatewayError('UNAVAILABLE', `door ${this.doorId} is already in learn mode (started by uid ${other.uid}${other.user ? ` ${other.user}` : ''})`, { id: this.doorId });
    }
    const session: LearnSession = { by, listener, timer: this.clock.setTimeout(() => this.end(session, 'timeout'), forMs) };
    this.session = session;
    this.record({ type: 'security', doorId: this.doorId, reason: 'learn_started', data: { forMs, uid: by.uid, user: by.user } });
    return () => this.end(session, 'cancelled');
  }

  /** An unknown credential was presented: taken (true) when learn mode runs, which then ends. */
  offer(credential: LearnedCredential): boolean {
    const session = this.session;
    if (!session) return false;
    this.record({ type: 'security', doorId: this.doorId, reason: 'learn_captured', data: { kind: credential.kind, uid: session.by.uid, user: session.by.user } });
    try {
      session.listener.learned(credential);
    } finally {
      this.end(session, 'learned');
    }
    return true;
  }

  /** The door stops: a running learn mode ends. */
  stop(): void {
    if (this.session) this.end(this.session, 'stopped');
  }

  private end(session: LearnSession, reason: LearnEnd): void {
    if (this.session !== session) return;
    this.session = null;
    this.clock.clearTimeout(session.timer);
    this.record({ type: 'security', doorId: this.doorId, reason: 'learn_ended', data: { why: reason, uid: session.by.uid, user: session.by.user } });
    session.listener.ended(reason);
  }
}
