/**
 * Bytes from a serial wire → whole frames, for any binary protocol whose decoder reports one of
 * three outcomes (libosdp-style): need more bytes; a frame and the rest; or drop `skip` bytes for
 * a reason and resynchronise. Keeps an incomplete tail between chunks; counts dropped bytes.
 */
export type DecodeOutcome<T, R extends string> =
  | { need: 'more' }
  | { ok: true; item: T; rest: Buffer }
  | { ok: false; reason: R; skip: number };

export interface StreamResult<T, R extends string> {
  items: T[];
  /** bytes dropped while resynchronising, by reason */
  dropped: Partial<Record<R, number>>;
}

export class ResyncStream<T, R extends string> {
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly decode: (buf: Buffer) => DecodeOutcome<T, R>) {}

  push(chunk: Buffer): StreamResult<T, R> {
    const result: StreamResult<T, R> = { items: [], dropped: {} };
    let buf = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const r = this.decode(buf);
      if ('need' in r) break;
      if (r.ok) {
        result.items.push(r.item);
        buf = r.rest;
      } else {
        result.dropped[r.reason] = (result.dropped[r.reason] ?? 0) + r.skip;
        buf = buf.subarray(r.skip);
      }
    }
    this.buffered = Buffer.from(buf);
    return result;
  }

  /** bytes waiting for the rest of a frame */
  pending(): number {
    return this.buffered.length;
  }

  /** Forgets a partial frame (e.g. after a response timeout: it will never complete); returns its length. */
  reset(): number {
    const dropped = this.buffered.length;
    this.buffered = Buffer.alloc(0);
    return dropped;
  }
}
