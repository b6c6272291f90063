/**
 * H4 (UART) framing, controller side. The parser takes bytes from a host in chunks split
 * anywhere and returns explicit outcomes: a command, an ACL packet, or a dropped byte that
 * cannot start a packet (the parser then resynchronises on the next byte). The builders make
 * the events and ACL packets a controller sends back.
 */
import { ADV, EVT, H4_ACL, H4_COMMAND, H4_EVENT, LE_SUB } from './opcodes.js';

export type HostPacket =
  | { kind: 'command'; opcode: number; params: Buffer }
  | { kind: 'acl'; handle: number; pb: number; bc: number; payload: Buffer };

export type H4Outcome = { ok: true; packet: HostPacket } | { ok: false; reason: 'packet-type'; byte: number };

export class H4Parser {
  private buffer = Buffer.alloc(0);

  /** appends `chunk` and returns every outcome it completes, in order */
  push(chunk: Uint8Array): H4Outcome[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: H4Outcome[] = [];
    for (;;) {
      const b = this.buffer;
      if (b.length === 0) break;
      const type = b[0]!;
      let length: number;
      if (type === H4_COMMAND) {
        if (b.length < 4) break;
        length = 4 + b[3]!;
      } else if (type === H4_ACL) {
        if (b.length < 5) break;
        length = 5 + b.readUInt16LE(3);
      } else {
        out.push({ ok: false, reason: 'packet-type', byte: type });
        this.buffer = b.subarray(1);
        continue;
      }
      if (b.length < length) break;
      const packet = Buffer.from(b.subarray(0, length));
      this.buffer = b.subarray(length);
      out.push({ ok: true, packet: decode(packet) });
    }
    return out;
  }

  /** bytes held for an incomplete packet */
  pending(): number {
    return this.buffer.length;
  }
}

function decode(p: Buffer): HostPacket {
  if (p[0] === H4_COMMAND) return { kind: 'command', opcode: p.readUInt16LE(1), params: p.subarray(4) };
  const word = p.readUInt16LE(1);
  return { kind: 'acl', handle: word & 0x0fff, pb: (word >> 12) & 0x3, bc: (word >> 14) & 0x3, payload: p.subarray(5) };
}

/** what a host sends (for tests of the parser) */
export function encodeHostPacket(p: HostPacket): Buffer {
  if (p.kind === 'command') return Buffer.concat([Buffer.from([H4_COMMAND, p.opcode & 0xff, p.opcode >> 8, p.params.length]), p.params]);
  return aclPacket(p.handle, p.pb, p.bc, p.payload);
}

export function aclPacket(handle: number, pb: number, bc: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + payload.length);
  out[0] = H4_ACL;
  out.writeUInt16LE((handle & 0x0fff) | (pb << 12) | (bc << 14), 1);
  out.writeUInt16LE(payload.length, 3);
  out.set(payload, 5);
  return out;
}

export function event(code: number, params: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([H4_EVENT, code, params.length]), params]);
}

export function commandComplete(opcode: number, returnParams: Uint8Array | number[]): Buffer {
  return event(EVT.COMMAND_COMPLETE, Buffer.concat([Buffer.from([0x01, opcode & 0xff, opcode >> 8]), Buffer.from(returnParams)]));
}

export function commandStatus(opcode: number, status: number): Buffer {
  return event(EVT.COMMAND_STATUS, Buffer.from([status, 0x01, opcode & 0xff, opcode >> 8]));
}

export function leMeta(sub: number, params: Uint8Array): Buffer {
  return event(EVT.LE_META, Buffer.concat([Buffer.from([sub]), params]));
}

/** `aa:bb:cc:dd:ee:ff` ⇄ the six little-endian bytes HCI carries */
export function addressBytes(address: string): Buffer {
  return Buffer.from(address.split(':').reverse().join(''), 'hex');
}
export function addressString(bytes: Uint8Array): string {
  return [...bytes].reverse().map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export function advertisingReport(type: number, address: string, data: Uint8Array, rssi: number): Buffer {
  return leMeta(LE_SUB.ADVERTISING_REPORT, Buffer.concat([Buffer.from([0x01, type, 0x00]), addressBytes(address), Buffer.from([data.length]), data, Buffer.from([rssi & 0xff])]));
}

export interface ConnectionParameters {
  interval: number;
  latency: number;
  timeout: number;
}

export function leConnectionComplete(status: number, handle: number, role: 0 | 1, peer: string, c: ConnectionParameters): Buffer {
  const p = Buffer.alloc(18);
  p[0] = status;
  p.writeUInt16LE(handle, 1);
  p[3] = role;
  p[4] = 0x00;
  addressBytes(peer).copy(p, 5);
  p.writeUInt16LE(c.interval, 11);
  p.writeUInt16LE(c.latency, 13);
  p.writeUInt16LE(c.timeout, 15);
  return leMeta(LE_SUB.CONNECTION_COMPLETE, p);
}

export function disconnectionComplete(handle: number, reason: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt16LE(handle, 1);
  p[3] = reason;
  return event(EVT.DISCONNECTION_COMPLETE, p);
}

export function numberOfCompletedPackets(handle: number, count: number): Buffer {
  const p = Buffer.alloc(5);
  p[0] = 1;
  p.writeUInt16LE(handle, 1);
  p.writeUInt16LE(count, 3);
  return event(EVT.NUMBER_OF_COMPLETED_PACKETS, p);
}

export const isConnectable = (advType: number) => advType === ADV.IND || advType === ADV.DIRECT_IND;
export const isScannable = (advType: number) => advType === ADV.IND || advType === ADV.SCAN_IND;
