/**
 * A GATT server over bleno, seen by a protocol as BleLinks. `serve()` publishes one primary
 * service (`serviceUuid` + `characteristics`) or several (`services`), whose characteristics each
 * take writes (with response) and send notifications, or indications for a service that says so,
 * and advertises: one service UUID in the advertisement (the first service's, or
 * `advertisedService`; `advertise(uuid)` switches it while serving), the name and manufacturer
 * data in the scan response. Each central's connection is a BleLink over every served
 * characteristic: a write is one received value, `send` is one notification or indication,
 * `close()` disconnects that central. An indication's `send` resolves when the central confirmed
 * it, and a link has one indication in flight at a time (ATT); one unconfirmed within
 * `indicationTimeoutMs` closes the link (ATT allows nothing further on that bearer).
 *
 * `onConnect(link)` is called once the central is ready to hear: when it has subscribed to every
 * characteristic of one served service, or at its first write if that comes earlier (so a
 * protocol's first message is never sent into the void). A `send` on a characteristic the
 * central has not subscribed to rejects with 'UNAVAILABLE'; one longer than the central's ATT MTU
 * minus 3 with 'INPUT_INVALID'; any after the link closed with 'DEVICE_OFFLINE'.
 *
 * A second central: bleno 0.12 restarts advertising after a connection and keeps a connection
 * table, so a second central may connect while the first is connected; it gets its own BleLink
 * (and its own `onConnect`); the tests show it on the virtual controller. Whether a real
 * controller lets it depends on the hardware (many
 * controllers stop connectable advertising while connected as a peripheral, and then the second
 * central's connection attempt times out on its side).
 */
import type { Bleno, ConnectionHandle, UpdateValueCallback } from '@stoprocent/bleno';
import type { Clock } from '../../kernel/clock.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { BleLink, ByteChannel } from './bleLink.js';
import { LinkListeners } from './linkListeners.js';
import type { BleLogger } from './bleAdapter.js';
import { advertisementData, normalizeUuid, scanResponseData } from './advertising.js';

/** One primary service: each characteristic is write + notify (or write + indicate). */
export interface ServedService {
  uuid: string;
  characteristics: string[];
  /** 'indicate' for a peer that expects confirmed values (a Nuki lock); default 'notify' */
  send?: 'notify' | 'indicate';
}

interface CommonServeOptions {
  /** the local name in the scan response */
  name: string;
  manufacturerData?: Uint8Array;
  /** how long a central may take to confirm an indication; default 30,000 (the ATT transaction timeout) */
  indicationTimeoutMs?: number;
  onConnect(link: BleLink): void;
}

export type ServeOptions = CommonServeOptions & (
  | { serviceUuid: string; /** each characteristic is write + notify */ characteristics: string[] }
  | { services: ServedService[]; /** the service UUID in the advertisement; default the first service's */ advertisedService?: string }
);

interface Served {
  name: string;
  manufacturerData: Uint8Array | undefined;
  onConnect(link: BleLink): void;
  services: { uuid: string; characteristics: string[] }[];
  uuids: string[];
  indicated: Set<string>;
  indicationTimeoutMs: number;
}

const CLOSE_TIMEOUT_MS = 2000;
const ATT_TRANSACTION_TIMEOUT_MS = 30_000;
/** ATT default MTU 23 minus the 3-byte notification header */
const DEFAULT_MAX_VALUE = 20;

export class GattPeripheral {
  private readonly links = new Map<string, PeripheralLink>();
  private options: Served | null = null;
  private readonly onAccept = (address: string, handle: ConnectionHandle) => this.accept(address, handle);
  private readonly onDisconnect = (_address: string, handle: ConnectionHandle) => this.links.get(String(handle))?.markClosed('disconnected');

  constructor(private readonly bleno: Bleno, private readonly deps: { clock: Clock; log?: BleLogger }) {}

  /** publishes the service(s) and starts advertising; rejects 'CONFIG_INVALID' for bad options */
  async serve(options: ServeOptions): Promise<void> {
    if (this.options) throw new GatewayError('UNAVAILABLE', 'this peripheral already serves a service');
    const given: ServedService[] = 'services' in options ? options.services : [{ uuid: options.serviceUuid, characteristics: options.characteristics }];
    if (given.length === 0) throw new GatewayError('CONFIG_INVALID', 'serve() needs at least one service', { field: 'services' });
    const services = given.map((g) => ({ uuid: normalizeUuid(g.uuid), characteristics: g.characteristics.map(normalizeUuid), send: g.send ?? 'notify' }));
    const advertised = normalizeUuid('services' in options && options.advertisedService ? options.advertisedService : services[0]!.uuid);
    const adv = advertisementData(advertised);
    const scan = scanResponseData(options.name, options.manufacturerData);
    const { PrimaryService, Characteristic } = this.bleno;
    const primary = services.map((service) => new PrimaryService({
      uuid: service.uuid,
      characteristics: service.characteristics.map((uuid) => new Characteristic({
        uuid,
        properties: ['write', service.send],
        onSubscribe: (handle, maxValueSize, update) => this.links.get(String(handle))?.subscribed(uuid, maxValueSize, update),
        onUnsubscribe: (handle) => this.links.get(String(handle))?.unsubscribed(uuid),
        onIndicate: (handle) => this.links.get(String(handle))?.confirmed(),
        onWriteRequest: (handle, data, offset, _withoutResponse, callback) => {
          if (offset !== 0) return callback(Characteristic.RESULT_ATTR_NOT_LONG);
          callback(Characteristic.RESULT_SUCCESS);
          this.links.get(String(handle))?.written(uuid, data);
        },
      })),
    }));
    this.options = {
      name: options.name,
      manufacturerData: options.manufacturerData,
      onConnect: options.onConnect,
      services: services.map(({ uuid, characteristics }) => ({ uuid, characteristics })),
      uuids: services.flatMap((x) => x.characteristics),
      indicated: new Set(services.filter((x) => x.send === 'indicate').flatMap((x) => x.characteristics)),
      indicationTimeoutMs: options.indicationTimeoutMs ?? ATT_TRANSACTION_TIMEOUT_MS,
    };
    this.bleno.on('accept', this.onAccept);
    this.bleno.on('disconnect', this.onDisconnect);
    try {
      await this.bleno.setServicesAsync(primary);
      await this.bleno.startAdvertisingWithEIRDataAsync(adv, scan);
    } catch (cause) {
      await this.stop();
      throw new GatewayError('DEVICE_ERROR', `cannot advertise ${options.name}: ${(cause as Error).message}`, {}, { cause });
    }
  }

  /**
   * Advertises `serviceUuid` (one of the served services) instead of the current one, e.g. a
   * lock's pairing service while it is in pairing mode. Connections stay up.
   */
  async advertise(serviceUuid: string): Promise<void> {
    const options = this.options;
    if (!options) throw new GatewayError('NOT_STARTED', 'this peripheral serves nothing: call serve() first');
    const uuid = normalizeUuid(serviceUuid);
    if (!options.services.some((x) => x.uuid === uuid)) throw new GatewayError('CONFIG_INVALID', `${uuid} is not a served service`, { field: 'serviceUuid' });
    try {
      await this.bleno.stopAdvertisingAsync();
      await this.bleno.startAdvertisingWithEIRDataAsync(advertisementData(uuid), scanResponseData(options.name, options.manufacturerData));
    } catch (cause) {
      throw new GatewayError('DEVICE_ERROR', `cannot advertise ${options.name}: ${(cause as Error).message}`, {}, { cause });
    }
  }

  /** the links open now */
  connected(): BleLink[] {
    return [...this.links.values()].filter((l) => !l.closed);
  }

  /** stops advertising and disconnects every central */
  async stop(): Promise<void> {
    if (!this.options) return;
    this.options = null;
    this.bleno.removeListener('accept', this.onAccept);
    try {
      this.bleno.stopAdvertising();
    } catch {
      // the adapter is gone: nothing is advertising
    }
    await Promise.all([...this.links.values()].map((l) => l.close()));
    this.bleno.removeListener('disconnect', this.onDisconnect);
  }

  private accept(address: string, handle: ConnectionHandle): void {
    const options = this.options;
    if (!options) return;
    const link = new PeripheralLink(address.toLowerCase(), options, {
      disconnect: () => (this.bleno as unknown as { disconnect(h: ConnectionHandle): void }).disconnect(handle),
      clock: this.deps.clock,
      guard: (what, fn) => guard(this.deps.log, what, fn),
      ready: (l) => guard(this.deps.log, 'onConnect', () => options.onConnect(l)),
      forget: () => this.links.delete(String(handle)),
    });
    this.links.set(String(handle), link);
  }
}

function guard(log: BleLogger | undefined, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log?.warn({ err, listener: what }, 'a BLE link listener threw');
  }
}

interface LinkHooks {
  disconnect(): void;
  clock: Clock;
  guard(what: string, fn: () => void): void;
  ready(link: BleLink): void;
  forget(): void;
}

class PeripheralLink implements BleLink {
  closed = false;
  private offered = false;
  private maxValue = DEFAULT_MAX_VALUE;
  private readonly notifiers = new Map<string, UpdateValueCallback>();
  private readonly listeners = new LinkListeners();
  private readonly channels = new Map<string, ByteChannel>();
  private closing: Promise<void> | null = null;
  private resolveClosed: () => void = () => undefined;

  private indicating: Promise<void> = Promise.resolve();
  private onConfirm: (() => void) | null = null;

  constructor(readonly peer: string, private readonly served: Served, private readonly hooks: LinkHooks) {}

  channel(uuid: string): ByteChannel {
    const id = normalizeUuid(uuid);
    if (!this.served.uuids.includes(id)) throw new GatewayError('NOT_FOUND', `characteristic ${id} is not served`, { id: this.peer, field: 'uuid' });
    let channel = this.channels.get(id);
    if (!channel) {
      channel = {
        uuid: id,
        maxValueLength: () => this.maxValue,
        send: async (value) => (this.served.indicated.has(id) ? this.indicate(id, value) : this.notify(id, value)),
        onReceive: (listener) => this.listeners.onReceive(id, listener),
      };
      this.channels.set(id, channel);
    }
    return channel;
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.listeners.onClose(this.closed, listener);
  }

  /** disconnects; resolves on the Disconnection Complete, or after a bound if the adapter is gone */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.closing) {
      this.closing = new Promise<void>((resolve) => {
        this.resolveClosed = resolve;
        const timer = this.hooks.clock.setTimeout(() => this.markClosed('closed (no answer from the adapter)'), CLOSE_TIMEOUT_MS);
        const done = this.resolveClosed;
        this.resolveClosed = () => { this.hooks.clock.clearTimeout(timer); done(); };
        try {
          this.hooks.disconnect();
        } catch {
          this.markClosed('closed');
        }
      });
    }
    return this.closing;
  }

  subscribed(uuid: string, maxValueSize: number, update: UpdateValueCallback): void {
    this.notifiers.set(uuid, update);
    this.maxValue = maxValueSize;
    if (this.served.services.some((x) => x.characteristics.every((u) => this.notifiers.has(u)))) this.offer();
  }

  /** the central confirmed the indication in flight */
  confirmed(): void {
    const done = this.onConfirm;
    this.onConfirm = null;
    done?.();
  }

  unsubscribed(uuid: string): void {
    this.notifiers.delete(uuid);
  }

  written(uuid: string, data: Buffer): void {
    if (this.closed) return;
    this.offer();
    const value = Uint8Array.from(data);
    for (const l of this.listeners.receiversOf(uuid)) this.hooks.guard('onReceive', () => l(value));
  }

  markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.notifiers.clear();
    this.confirmed();
    this.hooks.forget();
    const listeners = this.listeners.takeClosers();
    for (const l of listeners) this.hooks.guard('onClose', () => l(reason));
    this.resolveClosed();
  }

  private offer(): void {
    if (this.offered || this.closed) return;
    this.offered = true;
    this.hooks.ready(this);
  }

  /** one indication at a time per link: each waits for the previous one's confirmation */
  private indicate(uuid: string, value: Uint8Array): Promise<void> {
    const run = () => new Promise<void>((resolve, reject) => {
      if (this.closed) return reject(new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} is closed`, { id: this.peer }));
      const timer = this.hooks.clock.setTimeout(() => {
        this.onConfirm = null;
        reject(new GatewayError('DEVICE_TIMEOUT', `${this.peer} did not confirm an indication within ${this.served.indicationTimeoutMs} ms`, { id: this.peer }));
        void this.close();
      }, this.served.indicationTimeoutMs);
      this.onConfirm = () => {
        this.hooks.clock.clearTimeout(timer);
        if (this.closed) reject(new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} closed before it confirmed an indication`, { id: this.peer }));
        else resolve();
      };
      try {
        this.notify(uuid, value);
      } catch (err) {
        this.onConfirm = null;
        this.hooks.clock.clearTimeout(timer);
        reject(err as Error);
      }
    });
    const result = this.indicating.then(run, run);
    this.indicating = result.catch(() => undefined);
    return result;
  }

  private notify(uuid: string, value: Uint8Array): void {
    if (this.closed) throw new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} is closed`, { id: this.peer });
    const update = this.notifiers.get(uuid);
    if (!update) throw new GatewayError('UNAVAILABLE', `${this.peer} has not subscribed to ${uuid}`, { id: this.peer, field: 'uuid' });
    if (value.length > this.maxValue) throw new GatewayError('INPUT_INVALID', `a value of ${value.length} bytes exceeds the link's ${this.maxValue}`, { id: this.peer, field: 'value' });
    update(Buffer.from(value));
  }
}
