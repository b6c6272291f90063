/**
 * Failed journal flushes in a row: what the latest failure was (for stats), how long to back off
 * before the next try (doubling from 1 s up to a minute), and logging that does not flood — at
 * error when the error code changes or a minute has passed, at debug otherwise.
 */
import type { Logger } from 'pino';

export interface JournalFailure {
  /** SQLite error code (e.g. 'SQLITE_FULL', 'SQLITE_BUSY') or the error's name */
  code: string;
  message: string;
  /** clock time of the latest failure */
  at: number;
  /** consecutive failed flushes */
  failures: number;
}

const MAX_RETRY_DELAY_MS = 60_000;
const ERROR_LOG_INTERVAL_MS = 60_000;

export class FlushFailures {
  private lastError: JournalFailure | null = null;
  private retryAt = 0;
  private errorLoggedAt = -Infinity;

  constructor(private readonly log: Logger) {}

  /** the latest failure while flushes keep failing (a copy); null once a flush succeeded */
  get latest(): JournalFailure | null {
    return this.lastError === null ? null : { ...this.lastError };
  }

  /** no back-off is running at `now`: a flush may be tried */
  mayTry(now: number): boolean {
    return now >= this.retryAt;
  }

  /** Ends the back-off (a new start tries at once); the failure count stays. */
  endBackoff(): void {
    this.retryAt = 0;
  }

  /** Counts a failed flush and logs it; returns the delay before the retry. */
  failed(err: unknown, now: number, pending: number): number {
    const e = err as { code?: unknown; name?: unknown; message?: unknown };
    const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'UNKNOWN';
    const message = typeof e?.message === 'string' ? e.message : String(err);
    const failures = (this.lastError?.failures ?? 0) + 1;
    const changed = this.lastError?.code !== code;
    this.lastError = { code, message, at: now, failures };
    const delay = Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** Math.min(failures - 1, 6));
    this.retryAt = now + delay;
    const details = { code, failures, pending, retryInMs: delay };
    if (changed || now - this.errorLoggedAt >= ERROR_LOG_INTERVAL_MS) {
      this.errorLoggedAt = now;
      this.log.error({ ...details, err }, 'journal flush failed; events stay buffered');
    } else {
      this.log.debug(details, 'journal flush failed again');
    }
    return delay;
  }

  /** A flush of `written` events succeeded: after failures, logs the recovery and forgets them. */
  succeeded(written: number): void {
    if (this.lastError === null) return;
    this.log.info({ failures: this.lastError.failures, written }, 'journal writes recovered');
    this.lastError = null;
    this.retryAt = 0;
    this.errorLoggedAt = -Infinity;
  }
}
