/**
 * The nonces a gateway has handed out. A nonce is random (from the injected source), bound to
 * one connection and one door, answered at most once, and expires on the injected Clock. At most
 * `maxOutstanding` challenges are open at a time (a radio full of phones that never answer does
 * not grow memory); an answered nonce is remembered until it would have expired, so that a
 * replay is named as one. Nothing here sends or receives.
 */
import type { Clock } from '../../../kernel/clock.js';

/** `n` cryptographically random bytes: node:crypto's randomBytes in production, fixed in tests */
export type RandomSource = (n: number) => Uint8Array;

export interface ChallengeBinding {
  /** the session's connection id, unique per gateway */
  connection: string;
  doorId: string;
}

export interface ChallengeBookOptions {
  clock: Clock;
  random: RandomSource;
  /** default 5000 */
  ttlMs?: number;
  /** open (unanswered, unexpired) challenges at a time; default 8 */
  maxOutstanding?: number;
  /** nonce length, at least 16; default 32 */
  nonceBytes?: number;
}

export interface IssuedChallenge {
  nonce: Uint8Array;
  issuedAt: number;
  expiresAt: number;
}

export type RedeemOutcome =
  | { ok: true; issuedAt: number }
  | { ok: false; reason: 'nonce_unknown' | 'nonce_foreign' | 'nonce_replayed' | 'nonce_expired' | 'wrong_door' };

interface Entry extends IssuedChallenge, ChallengeBinding {
  answered: boolean;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export class ChallengeBook {
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #ttlMs: number;
  readonly #maxOutstanding: number;
  readonly #nonceBytes: number;
  /** by nonce hex; insertion order is issue order */
  readonly #entries = new Map<string, Entry>();

  constructor(options: ChallengeBookOptions) {
    this.#clock = options.clock;
    this.#random = options.random;
    this.#ttlMs = options.ttlMs ?? 5_000;
    this.#maxOutstanding = options.maxOutstanding ?? 8;
    this.#nonceBytes = options.nonceBytes ?? 32;
    if (this.#nonceBytes < 16 || this.#nonceBytes > 64) throw new RangeError('a nonce is 16 to 64 bytes');
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** open challenges now (answered and expired ones do not count) */
  outstanding(): number {
    this.#purge();
    let open = 0;
    for (const e of this.#entries.values()) if (!e.answered) open++;
    return open;
  }

  /** A new challenge for `binding`, or `busy` when `maxOutstanding` are open. */
  issue(binding: ChallengeBinding): { ok: true; challenge: IssuedChallenge } | { ok: false; reason: 'busy' } {
    if (this.outstanding() >= this.#maxOutstanding) return { ok: false, reason: 'busy' };
    const nonce = Uint8Array.from(this.#random(this.#nonceBytes));
    if (nonce.length !== this.#nonceBytes) throw new RangeError(`the random source gave ${nonce.length} bytes, not ${this.#nonceBytes}`);
    const key = hex(nonce);
    // a repeated nonce means a broken random source: never hand out one already in the book
    if (this.#entries.has(key)) return { ok: false, reason: 'busy' };
    const issuedAt = this.#clock.now();
    const entry: Entry = { ...binding, nonce, issuedAt, expiresAt: issuedAt + this.#ttlMs, answered: false };
    this.#entries.set(key, entry);
    return { ok: true, challenge: { nonce: Uint8Array.from(nonce), issuedAt, expiresAt: entry.expiresAt } };
  }

  /**
   * Answers `nonce` for `binding`: succeeds once, for the connection and door it was issued to,
   * before it expires. Any attempt marks the nonce answered: a wrong try (another connection
   * presenting it, another door) burns it, and a second try is `nonce_replayed`.
   */
  redeem(nonce: Uint8Array, binding: ChallengeBinding): RedeemOutcome {
    const now = this.#clock.now();
    const entry = this.#entries.get(hex(nonce));
    if (!entry || entry.expiresAt + this.#ttlMs < now) return { ok: false, reason: 'nonce_unknown' };
    if (entry.answered) return { ok: false, reason: 'nonce_replayed' };
    entry.answered = true;
    if (entry.connection !== binding.connection) return { ok: false, reason: 'nonce_foreign' };
    if (entry.doorId !== binding.doorId) return { ok: false, reason: 'wrong_door' };
    if (now > entry.expiresAt) return { ok: false, reason: 'nonce_expired' };
    return { ok: true, issuedAt: entry.issuedAt };
  }

  /** Forgets the open challenges of a closed connection (answered ones stay until they expire, to name replays). */
  release(connection: string): void {
    for (const [key, e] of this.#entries) if (e.connection === connection && !e.answered) this.#entries.delete(key);
  }

  /**
   * Drops what can no longer matter: open challenges past expiry, and answered ones a full ttl
   * past expiry (a replay after that is `nonce_unknown`: still denied).
   */
  #purge(): void {
    const now = this.#clock.now();
    for (const [key, e] of this.#entries) {
      if (now > e.expiresAt + (e.answered ? this.#ttlMs : 0)) this.#entries.delete(key);
    }
    // answered entries are bounded by the issue rate, which `maxOutstanding` bounds; cap them anyway
    const cap = this.#maxOutstanding * 8;
    if (this.#entries.size > cap) {
      for (const [key, e] of this.#entries) {
        if (this.#entries.size <= cap) break;
        if (e.answered) this.#entries.delete(key);
      }
    }
  }
}
