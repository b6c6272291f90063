/**
 * A GATT server over bleno, seen by a protocol as BleLinks. `serve()` publishes one primary
 * service whose characteristics each take writes (with response) and send notifications, and
 * advertises it: the service UUID in the advertisement, the name and manufacturer data in the
 * scan response. Each central's connection is a BleLink: a write is one received value, `send`
 * is one notification, `close()` disconnects that central.
 *
 * `onConnect(link)` is called once the central is ready to hear: when it has subscribed to every
 * characteristic, or at its first write if that comes earlier (so a protocol's first message is
 * never notified into the void). A `send` on a characteristic the central has not subscribed to
 * rejects with 'UNAVAILABLE'; one longer than the central's ATT MTU minus 3 with 'INPUT_INVALID';
 * any after the link closed with 'DEVICE_OFFLINE'.
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
import type { BleLogger } from './bleAdapter.js';
import { advertisementData, normalizeUuid, scanResponseData } from './advertising.js';

export interface ServeOptions {
  /** the local name in the scan response */
  name: string;
  serviceUuid: string;
  /** each characteristic is write + notify */
  characteristics: string[];
  manufacturerData?: Uint8Array;
  onConnect(link: BleLink): void;
}

const CLOSE_TIMEOUT_MS = 2000;
/** ATT default MTU 23 minus the 3-byte notification header */
const DEFAULT_MAX_VALUE = 20;

export class GattPeripheral {
  private readonly links = new Map<string, PeripheralLink>();
  private options: ServeOptions | null = null;
  private readonly onAccept = (address: string, handle: ConnectionHandle) => this.accept(address, handle);
  private readonly onDisconnect = (_address: string, handle: ConnectionHandle) => this.links.get(String(handle))?.markClosed('disconnected');

  constructor(private readonly bleno: Bleno, private readonly deps: { clock: Clock; log?: BleLogger }) {}

  /** publishes the service and starts advertising; rejects 'CONFIG_INVALID' for bad options */
  async serve(options: ServeOptions): Promise<void> {
    if (this.options) throw new GatewayError('UNAVAILABLE', 'this peripheral already serves a service');
    const serviceUuid = normalizeUuid(options.serviceUuid);
    const uuids = options.characteristics.map(normalizeUuid);
    const adv = advertisementData(serviceUuid);
    const scan = scanResponseData(options.name, options.manufacturerData);
    const { PrimaryService, Characteristic } = this.bleno;
    const characteristics = uuids.map((uuid) => new Characteristic({
      uuid,
      properties: ['write', 'notify'],
      onSubscribe: (handle, maxValueSize, update) => this.links.get(String(handle))?.subscribed(uuid, maxValueSize, update),
      onUnsubscribe: (handle) => this.links.get(String(handle))?.unsubscribed(uuid),
      onWriteRequest: (handle, data, offset, _withoutResponse, callback) => {
        if (offset !== 0) return callback(Characteristic.RESULT_ATTR_NOT_LONG);
        callback(Characteristic.RESULT_SUCCESS);
        this.links.get(String(handle))?.written(uuid, data);
      },
    }));
    this.options = { ...options, serviceUuid, characteristics: uuids };
    this.bleno.on('accept', this.onAccept);
    this.bleno.on('disconnect', this.onDisconnect);
    try {
      await this.bleno.setServicesAsync([new PrimaryService({ uuid: serviceUuid, characteristics })]);
      await this.bleno.startAdvertisingWithEIRDataAsync(adv, scan);
    } catch (cause) {
      await this.stop();
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
    const link = new PeripheralLink(address.toLowerCase(), options.characteristics, {
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
  private readonly receivers = new Map<string, Set<(v: Uint8Array) => void>>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private readonly channels = new Map<string, ByteChannel>();
  private closing: Promise<void> | null = null;
  private resolveClosed: () => void = () => undefined;

  constructor(readonly peer: string, private readonly uuids: string[], private readonly hooks: LinkHooks) {}

  channel(uuid: string): ByteChannel {
    const id = normalizeUuid(uuid);
    if (!this.uuids.includes(id)) throw new GatewayError('NOT_FOUND', `characteristic ${id} is not served`, { id: this.peer, field: 'uuid' });
    let channel = this.channels.get(id);
    if (!channel) {
      channel = {
        uuid: id,
        maxValueLength: () => this.maxValue,
        send: async (value) => this.notify(id, value),
        onReceive: (listener) => {
          let set = this.receivers.get(id);
          if (!set) this.receivers.set(id, (set = new Set()));
          set.add(listener);
          return () => set.delete(listener);
        },
      };
      this.channels.set(id, channel);
    }
    return channel;
  }

  onClose(listener: (reason: string) => void): () => void {
    if (this.closed) {
      queueMicrotask(() => listener('closed'));
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
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
    if (this.uuids.every((u) => this.notifiers.has(u))) this.offer();
  }

  unsubscribed(uuid: string): void {
    this.notifiers.delete(uuid);
  }

  written(uuid: string, data: Buffer): void {
    if (this.closed) return;
    this.offer();
    const value = Uint8Array.from(data);
    for (const l of [...(this.receivers.get(uuid) ?? [])]) this.hooks.guard('onReceive', () => l(value));
  }

  markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.notifiers.clear();
    this.hooks.forget();
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const l of listeners) this.hooks.guard('onClose', () => l(reason));
    this.resolveClosed();
  }

  private offer(): void {
    if (this.offered || this.closed) return;
    this.offered = true;
    this.hooks.ready(this);
  }

  private notify(uuid: string, value: Uint8Array): void {
    if (this.closed) throw new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} is closed`, { id: this.peer });
    const update = this.notifiers.get(uuid);
    if (!update) throw new GatewayError('UNAVAILABLE', `${this.peer} has not subscribed to ${uuid}`, { id: this.peer, field: 'uuid' });
    if (value.length > this.maxValue) throw new GatewayError('INPUT_INVALID', `a value of ${value.length} bytes exceeds the link's ${this.maxValue}`, { id: this.peer, field: 'value' });
    update(Buffer.from(value));
  }
}
