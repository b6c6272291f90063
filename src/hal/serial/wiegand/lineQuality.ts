/**
 * The degraded rule of a Wiegand bridge: a ring of the last `window` lines (corrupt or valid).
 * It becomes degraded when `threshold` of them were corrupt and recovers when the count falls to
 * half the threshold. It also counts the corrupt lines since the last valid one, which the
 * "no heartbeat" reason mentions (a wrong baud rate looks like silence plus garbage).
 */
export class LineQuality {
  private readonly ring: Uint8Array;
  private at = 0;
  private fill = 0;
  private degraded: string | null = null;
  private corruptSinceLastValid = 0;

  /** `window` 0: nothing is remembered (a bridge that never ran) */
  constructor(
    window: number,
    private readonly threshold: number,
    private readonly path: string,
  ) {
    this.ring = new Uint8Array(window);
  }

  valid(): void {
    this.corruptSinceLastValid = 0;
    this.remember(false);
  }

  corrupt(): void {
    this.corruptSinceLastValid++;
    this.remember(true);
  }

  /** why the bridge is degraded, or null */
  degradedReason(): string | null {
    return this.degraded;
  }

  corruptSinceValid(): number {
    return this.corruptSinceLastValid;
  }

  /** corrupt lines among the last `window()` */
  recentCorrupt(): number {
    let bad = 0;
    for (const b of this.ring) bad += b;
    return bad;
  }

  window(): number {
    return this.ring.length;
  }

  private remember(corrupt: boolean): void {
    if (this.ring.length === 0) return;
    this.ring[this.at] = corrupt ? 1 : 0;
    this.at = (this.at + 1) % this.ring.length;
    this.fill = Math.min(this.fill + 1, this.ring.length);
    const bad = this.recentCorrupt();
    if (this.degraded === null && bad >= this.threshold) {
      this.degraded = `${bad} of the last ${this.fill} lines from the Wiegand bridge on ${this.path} were corrupt: check the UART wiring, ground and baud rate`;
    } else if (this.degraded !== null && bad <= Math.floor(this.threshold / 2)) {
      this.degraded = null;
    }
  }
}
