import { ResyncStream } from '../resyncStream.js';

/**
 * The 4-byte command of the common USB (CH340) relay modules ("LCUS" boards):
 *
 *   A0 <channel> <state> <checksum>
 *
 * channel is 1-based, state 0x01 = energised (relay on), 0x00 = de-energised, and
 * checksum = (0xA0 + channel + state) & 0xFF. The boards never answer.
 *
 * The driver only encodes. The decoder is for the emulated board and the tests: it returns an
 * explicit outcome and resynchronises on the next 0xA0. With channels limited to 1..16 and states
 * to 0/1, no byte inside a valid frame other than the header can be 0xA0, so a misaligned window
 * never starts inside a clean frame (see docs/relay-board.md for what the 8-bit checksum does and
 * does not catch).
 */
export const RELAY_HEADER = 0xa0;
export const RELAY_FRAME_LENGTH = 4;
/** the largest boards sold have 16 relays; the decoder rejects higher channel numbers */
export const RELAY_MAX_CHANNELS = 16;

export interface RelayFrame {
  channel: number;
  /** true = relay energised */
  energised: boolean;
}

export type RelayDecodeReason = 'header' | 'channel' | 'state' | 'checksum';

export type RelayDecodeResult =
  | { need: 'more' }
  | { ok: true; frame: RelayFrame; rest: Buffer }
  | { ok: false; reason: RelayDecodeReason; skip: number };

export function relayChecksum(channel: number, state: number): number {
  return (RELAY_HEADER + channel + state) & 0xff;
}

/** Encodes one command. Throws RangeError for a channel outside 1..16 (a programming error). */
export function encodeRelayFrame(frame: RelayFrame): Buffer {
  const { channel } = frame;
  if (!Number.isInteger(channel) || channel < 1 || channel > RELAY_MAX_CHANNELS) {
    throw new RangeError(`relay channel must be 1..${RELAY_MAX_CHANNELS}, got ${channel}`);
  }
  const state = frame.energised ? 1 : 0;
  return Buffer.from([RELAY_HEADER, channel, state, relayChecksum(channel, state)]);
}

/** Bytes to drop so the buffer starts at the next possible header (at least one). */
function skipToNextHeader(buf: Buffer): number {
  const next = buf.indexOf(RELAY_HEADER, 1);
  return next === -1 ? buf.length : next;
}

/**
 * Decodes the frame at the start of `buf`. Fields are checked as soon as they arrive, so a bad
 * channel or state is reported without waiting for the checksum byte.
 */
export function decodeRelayFrame(buf: Buffer, maxChannel: number = RELAY_MAX_CHANNELS): RelayDecodeResult {
  if (buf.length === 0) return { need: 'more' };
  if (buf[0] !== RELAY_HEADER) return { ok: false, reason: 'header', skip: skipToNextHeader(buf) };
  if (buf.length < 2) return { need: 'more' };
  const channel = buf[1]!;
  if (channel < 1 || channel > maxChannel) return { ok: false, reason: 'channel', skip: skipToNextHeader(buf) };
  if (buf.length < 3) return { need: 'more' };
  const state = buf[2]!;
  if (state > 1) return { ok: false, reason: 'state', skip: skipToNextHeader(buf) };
  if (buf.length < RELAY_FRAME_LENGTH) return { need: 'more' };
  if (buf[3] !== relayChecksum(channel, state)) return { ok: false, reason: 'checksum', skip: skipToNextHeader(buf) };
  return { ok: true, frame: { channel, energised: state === 1 }, rest: buf.subarray(RELAY_FRAME_LENGTH) };
}

/** Accumulates chunks from the wire and yields whole frames; keeps an incomplete tail. */
export class RelayFrameStream extends ResyncStream<RelayFrame, RelayDecodeReason> {
  constructor(maxChannel: number = RELAY_MAX_CHANNELS) {
    super((buf) => {
      const r = decodeRelayFrame(buf, maxChannel);
      return 'need' in r || !r.ok ? r : { ok: true, item: r.frame, rest: r.rest };
    });
  }
}
