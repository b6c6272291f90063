/**
 * A GATT client over noble, seen by a protocol as BleLinks. `scan()` listens for
 * advertisements (optionally of one service) and returns what it saw when `timeoutMs` passes or
 * `until` says so. `connect(address)` connects to a device this central has seen in a scan,
 * discovers the service and the named characteristics, subscribes to each one that notifies or
 * indicates, and returns the link; it rejects 'NOT_FOUND' for an address never seen or a
 * missing service/characteristic, 'DEVICE_TIMEOUT' when the whole sequence takes longer than
 * `timeoutMs` (the attempt is cancelled, nothing stays connected), 'DEVICE_OFFLINE' when the
 * link drops meanwhile.
 *
 * On the link, `send` is a write with response: it resolves on the peer's Write Response and
 * rejects 'DEVICE_OFFLINE' once the link is closed, 'INPUT_INVALID' for a value longer than the
 * negotiated ATT MTU minus 3, 'DEVICE_TIMEOUT' after `sendTimeoutMs` without a response (ATT
 * allows no further request on that bearer then, so the link is closed too). Notifications and
 * indications are received values.
 */
import type { Characteristic, Noble, Peripheral } from '@stoprocent/noble';
import type { Clock } from '../../kernel/clock.js';
import { GatewayError, isGatewayError } from '../../kernel/gatewayError.js';
import type { BleLink, ByteChannel } from './bleLink.js';
import { LinkListeners } from './linkListeners.js';
import type { BleLogger } from './bleAdapter.js';
import { normalizeAddress, normalizeUuid } from './advertising.js';

export interface ScanResult {
  address: string;
  rssi: number;
  name: string | null;
  serviceUuids: string[];
  manufacturerData: Uint8Array | null;
}

export interface ScanOptions {
  serviceUuid?: string;
  timeoutMs: number;
  /** called for each device the first time it is seen */
  onFound?(result: ScanResult): void;
  /** ends the scan early when it returns true for a device just found */
  until?(result: ScanResult): boolean;
}

export interface ConnectOptions {
  serviceUuid: string;
  characteristics: string[];
  timeoutMs: number;
  /** how long a write may wait for its response; default 10 s */
  sendTimeoutMs?: number;
}

const DEFAULT_SEND_TIMEOUT_MS = 10_000;
const DEFAULT_MTU = 23;

export class GattCentral {
  private readonly seen = new Map<string, Peripheral>();
  private scanning = false;

  constructor(private readonly noble: Noble, private readonly deps: { clock: Clock; log?: BleLogger }) {}

  async scan(options: ScanOptions): Promise<ScanResult[]> {
    if (this.scanning) throw new GatewayError('UNAVAILABLE', 'a scan is already running on this adapter');
    this.scanning = true;
    const filter = options.serviceUuid ? normalizeUuid(options.serviceUuid) : null;
    const found = new Map<string, ScanResult>();
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => { finish = resolve; });
    const onDiscover = (p: Peripheral) => {
      const result = describe(p);
      if (filter && !result.serviceUuids.includes(filter)) return;
      this.seen.set(result.address, p);
      if (found.has(result.address)) return;
      found.set(result.address, result);
      guard(this.deps.log, 'onFound', () => options.onFound?.(result));
      if (options.until?.(result)) finish();
    };
    this.noble.on('discover', onDiscover);
    const timer = this.deps.clock.setTimeout(finish, options.timeoutMs);
    try {
      await this.noble.startScanningAsync(filter ? [filter] : [], false);
      await finished;
      return [...found.values()];
    } catch (cause) {
      throw new GatewayError('DEVICE_ERROR', `cannot scan: ${(cause as Error).message}`, {}, { cause });
    } finally {
      this.deps.clock.clearTimeout(timer);
      this.noble.removeListener('discover', onDiscover);
      this.noble.stopScanning();
      this.scanning = false;
    }
  }

  async connect(address: string, options: ConnectOptions): Promise<BleLink> {
    const peer = normalizeAddress(address);
    const peripheral = this.seen.get(peer);
    if (!peripheral) throw new GatewayError('NOT_FOUND', `${peer} has not been seen by a scan of this adapter`, { id: peer, hint: 'scan for it first' });
    const serviceUuid = normalizeUuid(options.serviceUuid);
    const uuids = options.characteristics.map(normalizeUuid);
    const { clock } = this.deps;
    let timer: ReturnType<Clock['setTimeout']> | null = null;
    const deadline = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => reject(new GatewayError('DEVICE_TIMEOUT', `connecting to ${peer} took longer than ${options.timeoutMs} ms`, { id: peer })), options.timeoutMs);
    });
    const step = <T>(p: Promise<T>) => Promise.race([p, deadline]);
    let connected = false;
    try {
      await step(peripheral.connectAsync().then(() => { connected = true; }));
      const { characteristics } = await step(peripheral.discoverSomeServicesAndCharacteristicsAsync([serviceUuid], uuids));
      const byUuid = new Map(characteristics.map((c) => [c.uuid, c]));
      const missing = uuids.filter((u) => !byUuid.has(u));
      if (missing.length > 0) throw new GatewayError('NOT_FOUND', `${peer} has no characteristic ${missing.join(', ')} in service ${serviceUuid}`, { id: peer, field: 'characteristics' });
      for (const c of byUuid.values()) if (c.properties.includes('notify') || c.properties.includes('indicate')) await step(c.subscribeAsync());
      return new CentralLink(peer, peripheral, byUuid, { clock, log: this.deps.log, sendTimeoutMs: options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS });
    } catch (err) {
      if (connected || peripheral.state === 'connected') peripheral.disconnect();
      else peripheral.cancelConnect();
      if (isGatewayError(err)) throw err;
      throw new GatewayError('DEVICE_OFFLINE', `lost ${peer} while connecting: ${(err as Error).message}`, { id: peer }, { cause: err });
    } finally {
      clock.clearTimeout(timer);
    }
  }
}

function describe(p: Peripheral): ScanResult {
  const ad = p.advertisement;
  return {
    address: normalizeAddress(p.address),
    rssi: p.rssi,
    name: ad.localName ?? null,
    serviceUuids: (ad.serviceUuids ?? []).map((u) => u.toLowerCase()),
    manufacturerData: ad.manufacturerData ? Uint8Array.from(ad.manufacturerData) : null,
  };
}

function guard(log: BleLogger | undefined, what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    log?.warn({ err, listener: what }, 'a BLE link listener threw');
  }
}

class CentralLink implements BleLink {
  closed = false;
  private readonly listeners = new LinkListeners();
  private readonly channels = new Map<string, ByteChannel>();
  private readonly detach: (() => void)[] = [];
  private closing: Promise<void> | null = null;

  constructor(
    readonly peer: string,
    private readonly peripheral: Peripheral,
    private readonly characteristics: Map<string, Characteristic>,
    private readonly deps: { clock: Clock; log?: BleLogger; sendTimeoutMs: number },
  ) {
    const onDisconnect = (reason: unknown) => this.markClosed(`disconnected (${String(reason)})`);
    peripheral.once('disconnect', onDisconnect);
    this.detach.push(() => peripheral.removeListener('disconnect', onDisconnect));
    for (const [uuid, c] of characteristics) {
      const onData = (data: Buffer) => {
        const value = Uint8Array.from(data);
        for (const l of this.listeners.receiversOf(uuid)) guard(deps.log, 'onReceive', () => l(value));
      };
      c.on('data', onData);
      this.detach.push(() => c.removeListener('data', onData));
    }
  }

  channel(uuid: string): ByteChannel {
    const id = normalizeUuid(uuid);
    const characteristic = this.characteristics.get(id);
    if (!characteristic) throw new GatewayError('NOT_FOUND', `characteristic ${id} is not part of this link`, { id: this.peer, field: 'uuid' });
    let channel = this.channels.get(id);
    if (!channel) {
      channel = {
        uuid: id,
        maxValueLength: () => this.maxValueLength(),
        send: (value) => this.write(characteristic, value),
        onReceive: (listener) => this.listeners.onReceive(id, listener),
      };
      this.channels.set(id, channel);
    }
    return channel;
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.listeners.onClose(this.closed, listener);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closing ??= new Promise<void>((resolve) => {
      const timer = this.deps.clock.setTimeout(() => this.markClosed('closed (no answer from the adapter)'), 2000);
      this.listeners.onClose(false, () => { this.deps.clock.clearTimeout(timer); resolve(); });
      this.peripheral.disconnect();
    });
    return this.closing;
  }

  private maxValueLength(): number {
    return (this.peripheral.mtu ?? DEFAULT_MTU) - 3;
  }

  private async write(c: Characteristic, value: Uint8Array): Promise<void> {
    if (this.closed) throw new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} is closed`, { id: this.peer });
    const max = this.maxValueLength();
    if (value.length > max) throw new GatewayError('INPUT_INVALID', `a value of ${value.length} bytes exceeds the link's ${max}`, { id: this.peer, field: 'value' });
    let timer: ReturnType<Clock['setTimeout']> | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.deps.clock.setTimeout(() => reject(new GatewayError('DEVICE_TIMEOUT', `${this.peer} did not confirm a write within ${this.deps.sendTimeoutMs} ms`, { id: this.peer })), this.deps.sendTimeoutMs);
    });
    try {
      await Promise.race([c.writeAsync(Buffer.from(value), false), timeout]);
    } catch (err) {
      if (isGatewayError(err, 'DEVICE_TIMEOUT')) void this.close();
      if (isGatewayError(err)) throw err;
      if (this.closed) throw new GatewayError('DEVICE_OFFLINE', `link to ${this.peer} closed during a write`, { id: this.peer }, { cause: err });
      throw new GatewayError('DEVICE_ERROR', `${this.peer} refused a write: ${(err as Error).message}`, { id: this.peer }, { cause: err });
    } finally {
      this.deps.clock.clearTimeout(timer);
    }
  }

  private markClosed(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const d of this.detach.splice(0)) d();
    const listeners = this.listeners.takeClosers();
    for (const l of listeners) guard(this.deps.log, 'onClose', () => l(reason));
  }
}
