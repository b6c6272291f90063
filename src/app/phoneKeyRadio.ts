/**
 * The gateway's phone-key radio: the BLE peripheral that advertises the phone-key service and
 * hands every phone's connection to the BlePhoneKeyReader, which serves all the doors configured
 * with `ble.phoneKey`. The adapter is opened at start; a gateway without one starts anyway and
 * its reader is offline with the reason ("no Bluetooth adapter: …"), shown in each door's status.
 * `links` replaces the radio (tests feed in-memory links); it is a constructor seam, not a flag.
 */
import type { Logger } from 'pino';
import { openPeripheral, type PeripheralAdapter } from '../hal/ble/bleAdapter.js';
import type { BleLink } from '../hal/ble/bleLink.js';
import { GattPeripheral } from '../hal/ble/gattPeripheral.js';
import { phoneKeyAdvertisement } from '../hal/ble/phoneKey/advertisement.js';
import { BlePhoneKeyReader, type PhoneLinkSource } from '../hal/ble/phoneKey/blePhoneKeyReader.js';
import type { PhoneKeyPorts } from '../hal/ble/phoneKey/ports.js';
import { PHONE_KEY_MESSAGE_UUID, PHONE_KEY_SERVICE_UUID } from '../hal/ble/phoneKey/protocol.js';
import type { BleConfig } from '../hal/ble/bleConfig.js';
import type { Clock } from '../kernel/clock.js';

type PhoneKeyRadioConfig = NonNullable<BleConfig['phoneKeys']>;

export interface PhoneKeyRadioOptions {
  config: PhoneKeyRadioConfig;
  gatewayId: string;
  doorIds: readonly string[];
  ports: PhoneKeyPorts;
  clock: Clock;
  logger: Logger;
  /** instead of the radio: where phone links come from */
  links?: PhoneLinkSource | undefined;
}

const POWER_ON_TIMEOUT_MS = 10_000;
/** a scan response holds 31 bytes: name, then 11 bytes of gateway tag and 4 per door */
const SCAN_RESPONSE_BYTES = 31;

export class PhoneKeyRadio implements PhoneLinkSource {
  readonly name = 'phone keys';
  readonly reader: BlePhoneKeyReader;
  private readonly listeners = new Set<(link: BleLink) => void>();
  private readonly log: Logger;
  private adapter: PeripheralAdapter | null = null;
  private peripheral: GattPeripheral | null = null;
  private stopFeed: (() => void) | null = null;

  constructor(private readonly options: PhoneKeyRadioOptions) {
    this.log = options.logger.child({ module: 'phone-keys' });
    this.reader = new BlePhoneKeyReader({
      id: 'phone-keys', clock: options.clock, log: this.log, source: this,
      gatewayId: options.gatewayId, doorIds: options.doorIds, ports: options.ports,
      timing: { challengeTtlMs: options.config.challengeTtlMs },
    });
  }

  accept(listener: (link: BleLink) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    await this.reader.start();
    const injected = this.options.links;
    if (injected) {
      this.stopFeed = injected.accept((link) => this.deliver(link));
      return;
    }
    const { config, clock } = this.options;
    try {
      this.adapter = await openPeripheral(config.adapter, { clock, timeoutMs: POWER_ON_TIMEOUT_MS, log: this.log });
      this.peripheral = new GattPeripheral(this.adapter.bleno, { clock, log: this.log });
      await this.peripheral.serve({
        name: config.name,
        serviceUuid: PHONE_KEY_SERVICE_UUID,
        characteristics: [PHONE_KEY_MESSAGE_UUID],
        manufacturerData: this.advertisement(),
        onConnect: (link) => this.deliver(link),
      });
      this.reader.radio('online', `advertising on ${this.adapter.name}`);
      this.log.info({ adapter: this.adapter.name, doors: this.options.doorIds }, 'phone keys: advertising');
    } catch (err) {
      const reason = (err as Error).message;
      this.reader.radio('offline', reason);
      this.log.warn({ err }, `phone keys unavailable: ${reason}`);
      await this.closeRadio();
    }
  }

  async stop(): Promise<void> {
    this.stopFeed?.();
    this.stopFeed = null;
    await this.reader.stop();
    await this.closeRadio();
  }

  private deliver(link: BleLink): void {
    for (const listener of this.listeners) listener(link);
  }

  /** the gateway tag and as many door tags as the scan response has room for */
  private advertisement(): Uint8Array {
    const room = SCAN_RESPONSE_BYTES - (2 + this.options.config.name.length) - 2 - 11;
    const doorIds = this.options.doorIds.slice(0, Math.max(0, Math.floor(room / 4)));
    return phoneKeyAdvertisement({ gatewayId: this.options.gatewayId, doorIds, now: this.options.clock.now() }).manufacturerData;
  }

  private async closeRadio(): Promise<void> {
    const peripheral = this.peripheral;
    const adapter = this.adapter;
    this.peripheral = null;
    this.adapter = null;
    await peripheral?.stop().catch((err: unknown) => this.log.warn({ err }, 'phone keys: the peripheral did not stop cleanly'));
    await adapter?.stop().catch((err: unknown) => this.log.warn({ err }, 'phone keys: the adapter did not stop cleanly'));
  }
}
