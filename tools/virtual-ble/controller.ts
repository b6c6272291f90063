/**
 * One virtual HCI controller: the state a real controller keeps for its host (advertising,
 * scanning, a pending LE Create Connection) and a table of command handlers. What crosses the
 * air (reports, connections, ACL data) is the radio's job, reached through the `Air` interface.
 * Unknown commands get Command Complete with status 0x01 (Unknown HCI Command): neither noble nor
 * bleno has command timeouts, so a command left unanswered would stall the host for good.
 */
import { EventEmitter } from 'node:events';
import * as h4 from './h4.js';
import { OP, STATUS, LE_SUB } from './opcodes.js';

/** the radio's side, as a controller sees it */
export interface Air {
  advertisingChanged(c: VirtualController): void;
  scanningChanged(c: VirtualController): void;
  connectRequested(c: VirtualController): void;
  hasConnection(c: VirtualController, handle: number): boolean;
  disconnect(c: VirtualController, handle: number, reason: number): void;
  updateConnection(c: VirtualController, handle: number, params: h4.ConnectionParameters): void;
  relay(c: VirtualController, packet: Extract<h4.HostPacket, { kind: 'acl' }>): void;
}

export interface ControllerOptions {
  name: string;
  /** the public address, `aa:bb:cc:dd:ee:ff` */
  address: string;
  /** LE ACL data packet length the controller reports (27 forces fragmentation) */
  leBufferSize?: number;
  leBufferCount?: number;
  /** first connection handle this controller hands out */
  firstHandle?: number;
}

export interface PendingConnection extends h4.ConnectionParameters {
  peer: string;
}

export type ControllerEvents = {
  /** bytes the controller sends to its host */
  tx: [Buffer];
  /** a packet from the host */
  rx: [h4.HostPacket];
  /** a byte that could not start a packet */
  junk: [number];
};

type Handler = (c: VirtualController, p: Buffer) => void;
const ok: Handler = (c, _p) => c.complete([STATUS.SUCCESS]);
const u16 = (v: number) => [v & 0xff, v >> 8];
/** Linux Foundation: hosts then set the address with the vendor command 0xfc06 */
const MANUFACTURER = 1521;

const HANDLERS = new Map<number, Handler>([
  [OP.RESET, (c) => { c.reset(); c.complete([STATUS.SUCCESS]); }],
  [OP.SET_EVENT_MASK, ok],
  [OP.LE_SET_EVENT_MASK, ok],
  [OP.SET_EVENT_FILTER, ok],
  [OP.WRITE_LE_HOST_SUPPORTED, ok],
  [OP.LE_SET_RANDOM_ADDRESS, ok],
  // HCI version 0x0b (5.2; both hosts require >= 6)
  [OP.READ_LOCAL_VERSION, (c) => c.complete([STATUS.SUCCESS, 0x0b, ...u16(1), 0x0b, ...u16(MANUFACTURER), ...u16(1)])],
  [OP.READ_BD_ADDR, (c) => c.complete([STATUS.SUCCESS, ...h4.addressBytes(c.address)])],
  [OP.VS_WRITE_BD_ADDR, (c, p) => { c.address = h4.addressString(p.subarray(0, 6)); c.complete([STATUS.SUCCESS]); }],
  [OP.READ_LE_HOST_SUPPORTED, (c) => c.complete([STATUS.SUCCESS, 0x01, 0x00])],
  // all feature bits zero: bit 12 would switch noble to extended advertising, 5 and 11 add commands
  [OP.LE_READ_LOCAL_FEATURES, (c) => c.complete([STATUS.SUCCESS, 0, 0, 0, 0, 0, 0, 0, 0])],
  [OP.LE_READ_BUFFER_SIZE, (c) => c.complete([STATUS.SUCCESS, ...u16(c.leBufferSize), c.leBufferCount])],
  [OP.READ_BUFFER_SIZE, (c) => c.complete([STATUS.SUCCESS, ...u16(c.leBufferSize), 0, ...u16(c.leBufferCount), 0, 0])],
  [OP.LE_READ_MAX_DATA_LENGTH, (c) => c.complete([STATUS.SUCCESS, ...u16(251), ...u16(2120), ...u16(251), ...u16(2120)])],
  [OP.LE_SET_DATA_LENGTH, (c, p) => c.complete([STATUS.SUCCESS, p[0] ?? 0, p[1] ?? 0])],
  [OP.READ_RSSI, (c, p) => c.complete([STATUS.SUCCESS, p[0] ?? 0, p[1] ?? 0, -42 & 0xff])],
  [OP.LE_SET_SCAN_PARAMS, (c, p) => { c.scan.active = p[0] === 0x01; c.complete([STATUS.SUCCESS]); }],
  [OP.LE_SET_SCAN_ENABLE, (c, p) => {
    c.scan.enabled = p[0] === 0x01;
    c.scan.filterDuplicates = p[1] === 0x01;
    c.scan.seen.clear();
    c.complete([STATUS.SUCCESS]);
    c.air?.scanningChanged(c);
  }],
  [OP.LE_SET_ADV_PARAMS, (c, p) => { c.adv.type = p[4] ?? 0; c.complete([STATUS.SUCCESS]); }],
  [OP.LE_SET_ADV_DATA, (c, p) => { c.adv.data = Buffer.from(p.subarray(1, 1 + (p[0] ?? 0))); c.complete([STATUS.SUCCESS]); c.air?.advertisingChanged(c); }],
  [OP.LE_SET_SCAN_RSP_DATA, (c, p) => { c.adv.scanResponse = Buffer.from(p.subarray(1, 1 + (p[0] ?? 0))); c.complete([STATUS.SUCCESS]); c.air?.advertisingChanged(c); }],
  [OP.LE_SET_ADV_ENABLE, (c, p) => { c.adv.enabled = p[0] === 0x01; c.complete([STATUS.SUCCESS]); c.air?.advertisingChanged(c); }],
  [OP.LE_CREATE_CONN, (c, p) => {
    c.pending = { peer: h4.addressString(p.subarray(6, 12)), interval: p.readUInt16LE(15), latency: p.readUInt16LE(17), timeout: p.readUInt16LE(19) };
    c.status(STATUS.SUCCESS);
    c.air?.connectRequested(c);
  }],
  [OP.LE_CREATE_CONN_CANCEL, (c) => {
    const had = c.pending !== null;
    c.pending = null;
    c.complete([had ? STATUS.SUCCESS : STATUS.COMMAND_DISALLOWED]);
    if (had) c.send(h4.leMeta(LE_SUB.CONNECTION_COMPLETE, Buffer.from([STATUS.UNKNOWN_CONNECTION, ...new Array<number>(17).fill(0)])));
  }],
  [OP.DISCONNECT, (c, p) => {
    const handle = p.readUInt16LE(0);
    const known = c.air?.hasConnection(c, handle) ?? false;
    c.status(known ? STATUS.SUCCESS : STATUS.UNKNOWN_CONNECTION);
    if (known) setImmediate(() => c.air?.disconnect(c, handle, p[2] ?? STATUS.REMOTE_USER_TERMINATED));
  }],
  [OP.LE_CONN_UPDATE, (c, p) => {
    const handle = p.readUInt16LE(0);
    const known = c.air?.hasConnection(c, handle) ?? false;
    c.status(known ? STATUS.SUCCESS : STATUS.UNKNOWN_CONNECTION);
    if (known) c.air?.updateConnection(c, handle, { interval: p.readUInt16LE(4), latency: p.readUInt16LE(6), timeout: p.readUInt16LE(8) });
  }],
]);

export class VirtualController extends EventEmitter<ControllerEvents> {
  readonly name: string;
  address: string;
  readonly leBufferSize: number;
  readonly leBufferCount: number;
  air: Air | null = null;
  adv = { enabled: false, type: 0, data: Buffer.alloc(0), scanResponse: Buffer.alloc(0) };
  scan = { enabled: false, active: true, filterDuplicates: true, seen: new Set<string>() };
  pending: PendingConnection | null = null;
  /** the opcode of the command being answered (for complete/status) */
  private current = 0;
  private nextHandle: number;
  private readonly parser = new h4.H4Parser();
  private sink: ((bytes: Buffer) => void) | null = null;

  constructor(options: ControllerOptions) {
    super();
    this.name = options.name;
    this.address = options.address;
    this.leBufferSize = options.leBufferSize ?? 251;
    this.leBufferCount = options.leBufferCount ?? 8;
    this.nextHandle = options.firstHandle ?? 0x0040;
  }

  /** where the controller's bytes go (the transport); null detaches */
  attach(sink: ((bytes: Buffer) => void) | null): void {
    this.sink = sink;
  }

  /** bytes from the host, split anywhere */
  receive(chunk: Uint8Array): void {
    for (const outcome of this.parser.push(chunk)) {
      if (!outcome.ok) { this.emit('junk', outcome.byte); continue; }
      const packet = outcome.packet;
      this.emit('rx', packet);
      if (packet.kind === 'acl') this.air?.relay(this, packet);
      else this.command(packet.opcode, packet.params);
    }
  }

  send(bytes: Buffer): void {
    this.emit('tx', bytes);
    this.sink?.(bytes);
  }

  /** Command Complete for the command being handled */
  complete(returnParams: number[]): void {
    this.send(h4.commandComplete(this.current, returnParams));
  }

  /** Command Status for the command being handled */
  status(status: number): void {
    this.send(h4.commandStatus(this.current, status));
  }

  /** what HCI Reset clears; connections stay (noble resets only while it has none) */
  reset(): void {
    this.adv = { enabled: false, type: 0, data: Buffer.alloc(0), scanResponse: Buffer.alloc(0) };
    this.scan = { enabled: false, active: true, filterDuplicates: true, seen: new Set() };
    this.pending = null;
  }

  allocateHandle(): number {
    return this.nextHandle++;
  }

  private command(opcode: number, params: Buffer): void {
    this.current = opcode;
    const handler = HANDLERS.get(opcode);
    if (handler && params.length >= minimumLength(opcode)) handler(this, params);
    else this.complete([handler ? 0x12 /* invalid parameters */ : 0x01]);
  }
}

function minimumLength(opcode: number): number {
  switch (opcode) {
    case OP.LE_CREATE_CONN: return 25;
    case OP.LE_CONN_UPDATE: return 14;
    case OP.DISCONNECT: return 3;
    case OP.VS_WRITE_BD_ADDR: return 6;
    case OP.LE_SET_ADV_PARAMS: return 15;
    default: return 0;
  }
}
