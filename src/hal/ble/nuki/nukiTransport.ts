/**
 * How a Nuki message travels over one characteristic, whose ATT values are at most
 * `maxValueLength()` bytes (BleLink: one send is one ATT value).
 *
 * The real lock sends a message longer than one value as consecutive indications of at most
 * MTU-3 bytes (the API's examples show an 88-byte Authorization-ID arriving as 20+20+20+20+8);
 * the receiver joins them, telling where a message ends from its length field (encrypted) or its
 * command's fixed payload length (unencrypted). We do the same in both directions: `send` splits a
 * message into values of at most maxValueLength() bytes, sent in order; the receiving side
 * reassembles. With a negotiated MTU of 247 (what the lock accepts from ESP32 bridges) every
 * message we send fits one value; at the default MTU of 23 our writes are split, which the real
 * lock is not documented to accept (docs/ble-nuki-lock.md: the adapter should negotiate the MTU).
 *
 * A head that cannot start a known message, or a message longer than NUKI_MAX_MESSAGE, discards
 * the partial buffer (counted through `onDrop`); `reset()` discards a stale partial message.
 */
import type { ByteChannel } from '../bleLink.js';
import { concat, expectedLength } from './nukiFrame.js';

export class NukiChunkedChannel {
  private buffer: Uint8Array = new Uint8Array(0);
  private sending: Promise<void> = Promise.resolve();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly channel: ByteChannel,
    private readonly encrypted: boolean,
    private readonly onFrame: (frame: Uint8Array) => void,
    private readonly onDrop: (reason: string) => void,
  ) {
    this.unsubscribe = channel.onReceive((value) => this.receive(value));
  }

  /**
   * Sends `message` as values of at most maxValueLength() bytes, in order. Messages are queued:
   * the values of two messages never interleave (the receiver could not join them).
   */
  send(message: Uint8Array): Promise<void> {
    const run = async (): Promise<void> => {
      const max = Math.max(1, this.channel.maxValueLength());
      for (let at = 0; at < message.length; at += max) await this.channel.send(message.subarray(at, at + max));
    };
    const result = this.sending.then(run, run);
    this.sending = result.catch(() => undefined);
    return result;
  }

  /** Forgets a partially received message. */
  reset(): void {
    this.buffer = new Uint8Array(0);
  }

  close(): void {
    this.unsubscribe();
    this.reset();
  }

  private receive(value: Uint8Array): void {
    this.buffer = concat(this.buffer, value);
    for (;;) {
      const total = expectedLength(this.buffer, this.encrypted);
      if (total === 'bad') {
        this.onDrop('unframeable');
        this.reset();
        return;
      }
      if (total === 'more' || this.buffer.length < total) return;
      const frame = this.buffer.slice(0, total);
      this.buffer = this.buffer.slice(total);
      this.onFrame(frame);
    }
  }
}
