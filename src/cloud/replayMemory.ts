/**
 * What the gateway remembers of the commands it handled, so that a replayed command (the same
 * correlationId or the same token jti) is answered without being executed again.
 *
 * Bounded: an entry is kept until its own expiry (the caller passes the token's exp plus a
 * grace period: after that the token is refused as expired anyway), and at most `maxEntries`
 * are kept. When full, expired entries are dropped first, then the oldest. Time is passed in
 * (epoch ms from the caller's Clock); nothing here reads the wall clock.
 */

interface Remembered<V> {
  value: V;
  expiresAt: number;
}

export class ReplayMemory<V> {
  /** insertion order is age order: Map iterates oldest first */
  private readonly entries = new Map<string, Remembered<V>>();

  constructor(private readonly maxEntries: number) {}

  /** The value remembered under `key`, or undefined when unknown or expired at `now`. */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers `value` under `key` until `expiresAt`; an existing key is replaced (and renewed). */
  set(key: string, value: V, expiresAt: number, now: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.makeRoom(now);
    this.entries.set(key, { value, expiresAt });
  }

  get size(): number {
    return this.entries.size;
  }

  private makeRoom(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    for (const key of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
