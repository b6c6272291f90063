/**
 * The gateway's side of the phone-key protocol for one radio: every BleLink a phone opens to
 * the phone-key service becomes a PhoneKeySession. Owns the challenge book, so the bound on
 * outstanding challenges holds across all the radio's connections. No I/O of its own.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../../kernel/clock.js';
import type { BleLink } from '../bleLink.js';
import { ChallengeBook, type RandomSource } from './challengeBook.js';
import type { PhoneKeyOutcome, PhoneKeyPorts } from './ports.js';
import { DEFAULT_TIMING } from './protocol.js';
import { PhoneKeySession, type PhoneKeyTiming } from './phoneKeySession.js';

export interface PhoneKeyServiceOptions {
  /** names the gateway in every CHALLENGE (and so in every signature) */
  gatewayId: string;
  /** the doors this radio serves: a HELLO naming another is `wrong_door` */
  doorIds: readonly string[];
  ports: PhoneKeyPorts;
  clock: Clock;
  log: Logger;
  /** default node:crypto randomBytes */
  random?: RandomSource;
  /** open challenges at a time across all connections; default 8 */
  maxOutstanding?: number;
  /** default 32, at least 16 */
  nonceBytes?: number;
  timing?: Partial<PhoneKeyTiming>;
}

export class PhoneKeyService {
  readonly #o: PhoneKeyServiceOptions;
  readonly #book: ChallengeBook;
  readonly #timing: PhoneKeyTiming;
  readonly #doorIds: ReadonlySet<string>;
  readonly #sessions = new Set<PhoneKeySession>();
  #nextConnection = 1;

  constructor(options: PhoneKeyServiceOptions) {
    this.#o = options;
    this.#timing = { ...DEFAULT_TIMING, ...options.timing };
    this.#doorIds = new Set(options.doorIds);
    this.#book = new ChallengeBook({
      clock: options.clock,
      random: options.random ?? ((n) => randomBytes(n)),
      ttlMs: this.#timing.challengeTtlMs,
      maxOutstanding: options.maxOutstanding ?? 8,
      nonceBytes: options.nonceBytes ?? 32,
    });
  }

  /** Runs the exchange on `link`; resolves with its outcome (also given to `ports.onOutcome`). */
  handle(link: BleLink): Promise<PhoneKeyOutcome> {
    const session = new PhoneKeySession({
      link,
      connection: `c${this.#nextConnection++}`,
      gatewayId: this.#o.gatewayId,
      doorIds: this.#doorIds,
      book: this.#book,
      ports: this.#o.ports,
      clock: this.#o.clock,
      timing: this.#timing,
      log: this.#o.log,
    });
    this.#sessions.add(session);
    void session.closed.then(() => this.#sessions.delete(session));
    session.start();
    return session.outcome;
  }

  /** sessions whose link is not yet closed and released */
  activeSessions(): number {
    return this.#sessions.size;
  }

  /** challenges handed out and not yet answered or expired */
  outstandingChallenges(): number {
    return this.#book.outstanding();
  }

  /** Closes every session's link; resolves when all are released. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#sessions].map((s) => s.abort()));
  }
}
