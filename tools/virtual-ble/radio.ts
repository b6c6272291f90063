/**
 * The air between virtual controllers: advertising reports to scanning hosts (ADV_IND, then
 * SCAN_RSP to an active scanner: noble reports a connectable device only after its scan
 * response), connection matching on LE Create Connection, the ACL relay and disconnection.
 * Everything is event-driven (no timers): a report goes out when a scan or an advertisement is
 * enabled, a pending connection completes when its advertiser is (or becomes) connectable.
 *
 * Faults for tests: `fault` sees every ACL fragment with its direction and returns the
 * payloads to deliver instead (an empty array drops it, a changed one rewrites it, a promise
 * delays it and everything after it on that link and direction); `dropLink()` loses links as a
 * radio does (supervision timeout at both ends).
 */
import * as h4 from './h4.js';
import type { Air, VirtualController } from './controller.js';
import { PB, STATUS } from './opcodes.js';

export interface AclFragment {
  /** sending and receiving host names */
  from: string;
  to: string;
  /** packet-boundary flag as sent (0b00/0b10 first fragment, 0b01 continuation) */
  pb: number;
  payload: Buffer;
}
export type AclFault = (fragment: AclFragment) => Uint8Array[] | Promise<Uint8Array[]>;

interface End {
  controller: VirtualController;
  handle: number;
}
interface Link {
  id: number;
  central: End;
  peripheral: End;
  params: h4.ConnectionParameters;
  /** per direction (keyed by the sender's name): deliveries held behind a delayed one */
  held: Map<string, Promise<void>>;
}

export interface LinkInfo {
  id: number;
  central: string;
  peripheral: string;
}

const RSSI = -42;

export class VirtualRadio implements Air {
  fault: AclFault | null = null;
  private readonly controllers: VirtualController[] = [];
  private readonly links = new Map<string, Link>();
  private nextLinkId = 1;
  private closed = false;

  add(controller: VirtualController): void {
    controller.air = this;
    this.controllers.push(controller);
  }

  /** the links up now */
  connections(): LinkInfo[] {
    return [...new Set(this.links.values())].map((l) => ({ id: l.id, central: l.central.controller.name, peripheral: l.peripheral.controller.name }));
  }

  /** loses every link of `host` (all links when omitted); returns how many went down */
  dropLink(host?: string, reason: number = STATUS.CONNECTION_TIMEOUT): number {
    let n = 0;
    for (const link of [...new Set(this.links.values())]) {
      if (host && link.central.controller.name !== host && link.peripheral.controller.name !== host) continue;
      this.unlink(link);
      link.central.controller.send(h4.disconnectionComplete(link.central.handle, reason));
      link.peripheral.controller.send(h4.disconnectionComplete(link.peripheral.handle, reason));
      n++;
    }
    return n;
  }

  close(): void {
    this.closed = true;
    this.fault = null;
    for (const c of this.controllers) c.air = null;
  }

  advertisingChanged(advertiser: VirtualController): void {
    if (!advertiser.adv.enabled) return;
    setImmediate(() => {
      for (const scanner of this.controllers) if (scanner !== advertiser) this.report(scanner, advertiser);
      for (const central of this.controllers) if (central.pending) this.connectRequested(central);
    });
  }

  scanningChanged(scanner: VirtualController): void {
    if (!scanner.scan.enabled) return;
    setImmediate(() => {
      for (const advertiser of this.controllers) if (advertiser !== scanner) this.report(scanner, advertiser);
    });
  }

  connectRequested(central: VirtualController): void {
    setImmediate(() => this.tryConnect(central));
  }

  hasConnection(c: VirtualController, handle: number): boolean {
    return this.links.has(key(c, handle));
  }

  disconnect(c: VirtualController, handle: number, reason: number): void {
    const link = this.links.get(key(c, handle));
    if (!link) return;
    this.unlink(link);
    const [self, peer] = link.central.controller === c && link.central.handle === handle ? [link.central, link.peripheral] : [link.peripheral, link.central];
    self.controller.send(h4.disconnectionComplete(self.handle, STATUS.LOCAL_HOST_TERMINATED));
    peer.controller.send(h4.disconnectionComplete(peer.handle, reason));
  }

  updateConnection(c: VirtualController, handle: number, params: h4.ConnectionParameters): void {
    const link = this.links.get(key(c, handle));
    if (!link) return;
    link.params = params;
    for (const end of [link.central, link.peripheral]) {
      const p = Buffer.alloc(9);
      p.writeUInt16LE(end.handle, 1);
      p.writeUInt16LE(params.interval, 3);
      p.writeUInt16LE(params.latency, 5);
      p.writeUInt16LE(params.timeout, 7);
      end.controller.send(h4.leMeta(0x03, p));
    }
  }

  relay(from: VirtualController, packet: Extract<h4.HostPacket, { kind: 'acl' }>): void {
    const link = this.links.get(key(from, packet.handle));
    // the packet left the sender's buffer either way: hosts stall at their buffer count without this
    from.send(h4.numberOfCompletedPackets(packet.handle, 1));
    if (!link) return;
    const to = link.central.controller === from ? link.peripheral : link.central;
    // hosts reassemble only 0b10 (first, flushable) and 0b01: rewrite 0b00 as a real controller does
    const pb = packet.pb === PB.FIRST_NON_FLUSHABLE ? PB.FIRST_FLUSHABLE : packet.pb;
    const deliver = (payloads: Uint8Array[]) => {
      if (this.links.get(key(from, packet.handle)) !== link) return;
      for (const p of payloads) to.controller.send(h4.aclPacket(to.handle, pb, packet.bc, p));
    };
    const fragment = { from: from.name, to: to.controller.name, pb: packet.pb, payload: Buffer.from(packet.payload) };
    const held = link.held.get(from.name);
    if (held) {
      link.held.set(from.name, held.then(async () => deliver(await this.apply(fragment))));
      return;
    }
    const verdict = this.fault ? this.fault(fragment) : [fragment.payload];
    if (Array.isArray(verdict)) return deliver(verdict);
    const next = verdict.then(deliver, () => undefined).finally(() => {
      if (link.held.get(from.name) === next) link.held.delete(from.name);
    });
    link.held.set(from.name, next);
  }

  private async apply(fragment: AclFragment): Promise<Uint8Array[]> {
    try {
      return this.fault ? await this.fault(fragment) : [fragment.payload];
    } catch {
      return [];
    }
  }

  private report(scanner: VirtualController, advertiser: VirtualController): void {
    if (this.closed || !scanner.scan.enabled || !advertiser.adv.enabled) return;
    if (scanner.scan.filterDuplicates && scanner.scan.seen.has(advertiser.address)) return;
    scanner.scan.seen.add(advertiser.address);
    scanner.send(h4.advertisingReport(advertiser.adv.type, advertiser.address, advertiser.adv.data, RSSI));
    if (scanner.scan.active && h4.isScannable(advertiser.adv.type)) {
      scanner.send(h4.advertisingReport(0x04, advertiser.address, advertiser.adv.scanResponse, RSSI));
    }
  }

  private tryConnect(central: VirtualController): void {
    const request = central.pending;
    if (this.closed || !request) return;
    const peripheral = this.controllers.find((c) => c !== central && c.address === request.peer && c.adv.enabled && h4.isConnectable(c.adv.type));
    if (!peripheral) return;
    central.pending = null;
    // advertising stops when a connection is made (Core Vol 6 Part B 4.4.2); a host may restart it
    peripheral.adv.enabled = false;
    const params = { interval: request.interval, latency: request.latency, timeout: request.timeout };
    const link: Link = {
      id: this.nextLinkId++,
      central: { controller: central, handle: central.allocateHandle() },
      peripheral: { controller: peripheral, handle: peripheral.allocateHandle() },
      params,
      held: new Map(),
    };
    this.links.set(key(central, link.central.handle), link);
    this.links.set(key(peripheral, link.peripheral.handle), link);
    central.send(h4.leConnectionComplete(STATUS.SUCCESS, link.central.handle, 0, peripheral.address, params));
    peripheral.send(h4.leConnectionComplete(STATUS.SUCCESS, link.peripheral.handle, 1, central.address, params));
  }

  private unlink(link: Link): void {
    this.links.delete(key(link.central.controller, link.central.handle));
    this.links.delete(key(link.peripheral.controller, link.peripheral.handle));
    link.held.clear();
  }
}

const key = (c: VirtualController, handle: number) => `${c.name}#${handle}`;
