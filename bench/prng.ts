/**
 * A tiny seeded PRNG (mulberry32) and the draws the generators need. Deterministic across runs
 * and machines: the same seed gives the same site and the same presentations. No Math.random.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b_79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** integer in [min, max] */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** true with probability p */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** an index drawn by relative weights */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** k distinct integers from [0, n), in draw order (k <= n) */
  distinct(k: number, n: number): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    while (out.length < k) {
      const v = Math.floor(this.next() * n);
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
    return out;
  }

  /** n lower-case hex digits */
  hex(n: number): string {
    let s = '';
    while (s.length < n) s += ((this.next() * 0x1_0000_0000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, n);
  }
}
