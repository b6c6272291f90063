/**
 * The largest MQTT packet the gateway takes from the broker, and a guard that sees it coming.
 *
 * - `MAX_PACKET_BYTES`: the largest cloud → gateway message limit (TOPIC_SPECS: snapshot chunks
 *   and deltas, 16 MiB) plus 64 KiB for the packet around it (fixed header ≤ 5 bytes, topic
 *   length and topic, packet id, MQTT 5 properties the broker adds). Sent as the MQTT 5 CONNECT
 *   property `maximumPacketSize`: the broker must not send a larger packet.
 * - `PacketSizeGuard` reads the fixed headers of the incoming byte stream (the broker's side of
 *   the socket, after TLS) and reports a packet whose announced remaining length makes it larger
 *   than the limit as soon as its header is read, before its body arrives. mqtt.js itself checks
 *   `maximumPacketSize` only after it parsed the whole packet (and not at all over MQTT 3.1.1).
 */
import { TOPIC_SPECS } from '../wire/topics.js';

const PACKET_OVERHEAD_BYTES = 64 * 1024;

const largestCloudMessage = Math.max(
  ...Object.values(TOPIC_SPECS)
    .filter((spec) => spec.direction === 'cloud_to_gateway')
    .map((spec) => spec.maxBytes),
);

export const MAX_PACKET_BYTES = largestCloudMessage + PACKET_OVERHEAD_BYTES;

/** Follows MQTT framing over chunks of bytes. Call `push` with every chunk, in order. */
export class PacketSizeGuard {
  /** bytes of the current packet's body still to skip */
  private remaining = 0;
  /** in the fixed header: -1 = expect the type byte, else how many length bytes were read */
  private lengthBytes = -1;
  private length = 0;
  private multiplier = 1;

  constructor(private readonly maxPacketBytes: number) {}

  /** The size of the first packet in `chunk` that is over the limit (or has a malformed length), else null. */
  push(chunk: Uint8Array): number | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const skip = Math.min(this.remaining, chunk.length - i);
        this.remaining -= skip;
        i += skip;
        continue;
      }
      const byte = chunk[i]!;
      i += 1;
      if (this.lengthBytes === -1) {
        this.lengthBytes = 0;
        this.length = 0;
        this.multiplier = 1;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes += 1;
      if ((byte & 0x80) !== 0) {
        if (this.lengthBytes >= 4) return Number.POSITIVE_INFINITY; // a fifth length byte: not MQTT
        continue;
      }
      const size = 1 + this.lengthBytes + this.length;
      if (size > this.maxPacketBytes) return size;
      this.remaining = this.length;
      this.lengthBytes = -1;
    }
    return null;
  }
}
