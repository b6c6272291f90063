import type { DecodeOutcome } from '../resyncStream.js';
import { ResyncStream } from '../resyncStream.js';

/**
 * Modbus RTU framing for the one function the relay boards need, 0x05 "write single coil":
 *
 *   <unit> 05 <address hi> <address lo> <value hi> <value lo> <crc lo> <crc hi>
 *
 * and its exception answer `<unit> 85 <code> <crc lo> <crc hi>`. The CRC is CRC-16/MODBUS
 * (reflected polynomial 0xA001, initial 0xFFFF), sent low byte first. A board that executed a
 * 0x05 write answers with an exact echo of it.
 *
 * RTU delimits frames by 3.5 character times of silence, which a Node process cannot see; the
 * decoder frames by function code instead (0x05: 8 bytes, 0x85: 5 bytes) and verifies the CRC.
 * Outcomes are explicit: need more bytes, a frame, or drop bytes for a reason (an unknown
 * function code or a CRC mismatch drops one byte and resynchronises on the next).
 */
export const WRITE_COIL = 0x05;
export const WRITE_COIL_EXCEPTION = 0x85;
const WRITE_COIL_LENGTH = 8;
const EXCEPTION_LENGTH = 5;

export type ModbusFrame =
  | { kind: 'write'; unit: number; address: number; value: number }
  | { kind: 'exception'; unit: number; code: number };

export type ModbusDecodeReason = 'function' | 'crc';

/** CRC-16/MODBUS of `bytes`. */
export function crc16Modbus(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function withCrc(body: number[]): Buffer {
  const crc = crc16Modbus(Uint8Array.from(body));
  return Buffer.from([...body, crc & 0xff, crc >>> 8]);
}

export function encodeModbusFrame(frame: ModbusFrame): Buffer {
  if (frame.kind === 'exception') return withCrc([frame.unit, WRITE_COIL_EXCEPTION, frame.code]);
  const { unit, address, value } = frame;
  return withCrc([unit, WRITE_COIL, address >>> 8, address & 0xff, value >>> 8, value & 0xff]);
}

export function decodeModbusFrame(buf: Buffer): DecodeOutcome<ModbusFrame, ModbusDecodeReason> {
  if (buf.length < 2) return { need: 'more' };
  const fn = buf[1]!;
  const length = fn === WRITE_COIL ? WRITE_COIL_LENGTH : fn === WRITE_COIL_EXCEPTION ? EXCEPTION_LENGTH : 0;
  if (length === 0) return { ok: false, reason: 'function', skip: 1 };
  if (buf.length < length) return { need: 'more' };
  const crc = crc16Modbus(buf.subarray(0, length - 2));
  if (buf[length - 2] !== (crc & 0xff) || buf[length - 1] !== crc >>> 8) return { ok: false, reason: 'crc', skip: 1 };
  const rest = buf.subarray(length);
  if (fn === WRITE_COIL_EXCEPTION) return { ok: true, item: { kind: 'exception', unit: buf[0]!, code: buf[2]! }, rest };
  return { ok: true, item: { kind: 'write', unit: buf[0]!, address: buf.readUInt16BE(2), value: buf.readUInt16BE(4) }, rest };
}

/** Chunks from the wire → whole frames; keeps an incomplete tail. */
export class ModbusFrameStream extends ResyncStream<ModbusFrame, ModbusDecodeReason> {
  constructor() {
    super(decodeModbusFrame);
  }
}
