import { ResyncStream } from '../resyncStream.js';

/**
 * The packet format of the R30x / R50x optical and capacitive fingerprint modules (R305, R307,
 * R503, and the AS608/ZFM clones):
 *
 *   EF 01 | address (4) | packet id (1) | length (2) | payload (length - 2) | checksum (2)
 *
 * Big-endian throughout. length counts the payload plus the checksum; the checksum is the sum of
 * the packet id, both length bytes and every payload byte, & 0xFFFF (header and address are not
 * covered). Packet ids: 0x01 command, 0x02 data, 0x07 acknowledge, 0x08 end of data.
 *
 * The decoder returns an explicit outcome and never throws; on a bad packet it tells the caller
 * how many bytes to drop so the buffer starts at the next possible header (EF 01). Only the
 * driver decides what a dropped packet means. The instruction and confirmation-code tables are
 * here too because both the driver and the emulated sensor speak them.
 */
export const R30X_HEADER = 0xef01;
export const R30X_DEFAULT_ADDRESS = 0xffffffff;
export const R30X_DEFAULT_PASSWORD = 0x00000000;
export const R30X_BAUD_RATE = 57600;
/** the largest payload a module sends (data packets of 256 bytes) */
export const R30X_MAX_PAYLOAD = 256;
/** header (2) + address (4) + packet id (1) + length (2) */
export const R30X_PREFIX_LENGTH = 9;

export type R30xPacketType = 'command' | 'data' | 'ack' | 'end';

const PACKET_IDS: Record<R30xPacketType, number> = { command: 0x01, data: 0x02, ack: 0x07, end: 0x08 };
const PACKET_TYPES = new Map<number, R30xPacketType>(Object.entries(PACKET_IDS).map(([type, id]) => [id, type as R30xPacketType]));

export interface R30xPacket {
  type: R30xPacketType;
  address: number;
  payload: Buffer;
}

export type R30xDecodeReason = 'header' | 'checksum' | 'length';

export type R30xDecodeResult =
  | { need: 'more' }
  | { ok: true; packet: R30xPacket; rest: Buffer }
  | { ok: false; reason: R30xDecodeReason; skip: number };

export interface R30xDecodeOptions {
  /** accept only packets for/from this module address */
  address?: number;
  /** reject longer payloads as 'length' (a driver that only expects acknowledgements sets it low) */
  maxPayload?: number;
}

/** Instruction codes (the first payload byte of a command packet). */
export const R30X_INSTRUCTION = {
  GenImg: 0x01,
  Img2Tz: 0x02,
  Search: 0x04,
  RegModel: 0x05,
  Store: 0x06,
  DeletChar: 0x0c,
  VfyPwd: 0x13,
  TemplateNum: 0x1d,
} as const;

export type R30xInstruction = keyof typeof R30X_INSTRUCTION;

/** Confirmation codes (the first payload byte of an acknowledgement), per the module manuals. */
export const R30X_CONFIRMATION: Readonly<Record<number, string>> = {
  0x00: 'ok',
  0x01: 'error receiving the packet',
  0x02: 'no finger on the sensor',
  0x03: 'failed to capture the finger image',
  0x05: 'image too wet or too dry',
  0x06: 'image too disorderly to extract features',
  0x07: 'too few feature points',
  0x08: 'fingers do not match',
  0x09: 'no matching template found',
  0x0a: 'failed to combine the character files',
  0x0b: 'page id beyond the library',
  0x0c: 'error reading the template, or invalid template',
  0x0d: 'error uploading the template',
  0x0e: 'cannot receive the following data packets',
  0x0f: 'error uploading the image',
  0x10: 'failed to delete the template',
  0x11: 'failed to clear the library',
  0x13: 'wrong password',
  0x15: 'no valid primary image',
  0x18: 'error writing flash',
  0x19: 'undefined error',
  0x1a: 'invalid register number',
  0x1b: 'incorrect register configuration',
  0x1c: 'wrong notepad page number',
  0x1d: 'failed to operate the communication port',
  0x20: 'wrong module address',
  0x21: 'password must be verified first',
};

export const R30X_OK = 0x00;
export const R30X_NO_FINGER = 0x02;
export const R30X_NOT_FOUND = 0x09;
export const R30X_ENROLL_MISMATCH = 0x0a;
export const R30X_WRONG_PASSWORD = 0x13;

export function confirmationName(code: number): string {
  return R30X_CONFIRMATION[code] ?? `unknown confirmation code 0x${code.toString(16).padStart(2, '0')}`;
}

export function r30xChecksum(pid: number, length: number, payload: Buffer): number {
  let sum = pid + (length >> 8) + (length & 0xff);
  for (const byte of payload) sum += byte;
  return sum & 0xffff;
}

/** Encodes one packet. Throws RangeError for an empty or oversized payload (a programming error). */
export function encodeR30xPacket(packet: R30xPacket): Buffer {
  const { payload } = packet;
  if (payload.length < 1 || payload.length > R30X_MAX_PAYLOAD) throw new RangeError(`R30x payload must be 1..${R30X_MAX_PAYLOAD} bytes, got ${payload.length}`);
  const pid = PACKET_IDS[packet.type];
  const length = payload.length + 2;
  const out = Buffer.alloc(R30X_PREFIX_LENGTH + length);
  out.writeUInt16BE(R30X_HEADER, 0);
  out.writeUInt32BE(packet.address >>> 0, 2);
  out.writeUInt8(pid, 6);
  out.writeUInt16BE(length, 7);
  payload.copy(out, R30X_PREFIX_LENGTH);
  out.writeUInt16BE(r30xChecksum(pid, length, payload), R30X_PREFIX_LENGTH + payload.length);
  return out;
}

/** A command packet: instruction code followed by its parameters. */
export function encodeR30xCommand(instruction: R30xInstruction, params: number[] = [], address: number = R30X_DEFAULT_ADDRESS): Buffer {
  return encodeR30xPacket({ type: 'command', address, payload: Buffer.from([R30X_INSTRUCTION[instruction], ...params]) });
}

/** Bytes to drop so the buffer starts at the next EF 01 (a trailing EF is kept: it may be one). */
function skipToNextHeader(buf: Buffer): number {
  for (let i = 1; i < buf.length; i++) {
    if (buf[i] !== 0xef) continue;
    if (i + 1 === buf.length || buf[i + 1] === 0x01) return i;
  }
  return buf.length;
}

/** Decodes the packet at the start of `buf`; fields are checked as soon as they have arrived. */
export function decodeR30xPacket(buf: Buffer, options: R30xDecodeOptions = {}): R30xDecodeResult {
  if (buf.length === 0) return { need: 'more' };
  const header = () => ({ ok: false as const, reason: 'header' as const, skip: skipToNextHeader(buf) });
  if (buf[0] !== 0xef) return header();
  if (buf.length < 2) return { need: 'more' };
  if (buf[1] !== 0x01) return header();
  if (buf.length < 6) return { need: 'more' };
  const address = buf.readUInt32BE(2);
  if (options.address !== undefined && address !== options.address >>> 0) return header();
  if (buf.length < 7) return { need: 'more' };
  const type = PACKET_TYPES.get(buf[6]!);
  if (!type) return header();
  if (buf.length < R30X_PREFIX_LENGTH) return { need: 'more' };
  const length = buf.readUInt16BE(7);
  const payloadLength = length - 2;
  if (payloadLength < 1 || payloadLength > (options.maxPayload ?? R30X_MAX_PAYLOAD)) return { ok: false, reason: 'length', skip: skipToNextHeader(buf) };
  const total = R30X_PREFIX_LENGTH + length;
  if (buf.length < total) return { need: 'more' };
  const payload = buf.subarray(R30X_PREFIX_LENGTH, R30X_PREFIX_LENGTH + payloadLength);
  if (buf.readUInt16BE(total - 2) !== r30xChecksum(buf[6]!, length, payload)) return { ok: false, reason: 'checksum', skip: skipToNextHeader(buf) };
  return { ok: true, packet: { type, address, payload: Buffer.from(payload) }, rest: buf.subarray(total) };
}

/** Accumulates chunks from the wire and yields whole packets; keeps an incomplete tail. */
export class R30xPacketStream extends ResyncStream<R30xPacket, R30xDecodeReason> {
  constructor(options: R30xDecodeOptions = {}) {
    super((buf) => {
      const r = decodeR30xPacket(buf, options);
      return 'need' in r || !r.ok ? r : { ok: true, item: r.packet, rest: r.rest };
    });
  }
}
