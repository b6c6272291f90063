/**
 * The gateway's lock radio: the BLE central that reaches the site's smart locks. The adapter is
 * opened on first use (a gateway whose locks are all unpaired or absent never touches it) and
 * again after a failure. Scans and connections take turns: one central does one at a time.
 */
import type { Logger } from 'pino';
import { openCentral, type CentralAdapter } from '../hal/ble/bleAdapter.js';
import type { BleLink } from '../hal/ble/bleLink.js';
import { GattCentral, type ScanResult } from '../hal/ble/gattCentral.js';
import type { BleConfig } from '../hal/ble/bleConfig.js';
import { NUKI_KEYTURNER_GDIO, NUKI_KEYTURNER_SERVICE, NUKI_KEYTURNER_USDIO, NUKI_PAIRING_GDIO, NUKI_PAIRING_SERVICE } from '../hal/ble/nuki/nukiConstants.js';
import type { NukiConnector } from '../hal/ble/nuki/nukiLockPolicy.js';
import type { Clock } from '../kernel/clock.js';
import { GatewayError, isGatewayError } from '../kernel/gatewayError.js';

type LockRadioConfig = NonNullable<BleConfig['locks']>;

const POWER_ON_TIMEOUT_MS = 10_000;

export class LockRadio {
  readonly name = 'lock radio';
  private adapter: CentralAdapter | null = null;
  private opening: Promise<GattCentral> | null = null;
  private turn: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly options: { config: LockRadioConfig; clock: Clock; logger: Logger }) {
    this.log = options.logger.child({ module: 'lock-radio' });
  }

  async start(): Promise<void> {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.turn.catch(() => undefined);
    const adapter = this.adapter;
    this.adapter = null;
    this.opening = null;
    await adapter?.stop().catch((err: unknown) => this.log.warn({ err }, 'the lock radio did not stop cleanly'));
  }

  /** Every device in range for `ms` (default the configured scanMs), those in pairing mode marked. */
  scan(ms = this.options.config.scanMs): Promise<Array<ScanResult & { pairingMode: boolean }>> {
    return this.take(async (central) => {
      const found = await central.scan({ timeoutMs: ms });
      return found.map((r) => ({ ...r, pairingMode: r.serviceUuids.includes(NUKI_PAIRING_SERVICE) }));
    });
  }

  /** A link to the lock's keyturner service (GDIO and USDIO), found by a scan if not seen yet. */
  connector(address: string, timeoutMs: number): NukiConnector {
    return { connect: () => this.connect(address, NUKI_KEYTURNER_SERVICE, [NUKI_KEYTURNER_GDIO, NUKI_KEYTURNER_USDIO], timeoutMs) };
  }

  /** A link to a lock in pairing mode (its pairing service). */
  pairingLink(address: string, timeoutMs: number): Promise<BleLink> {
    return this.connect(address, NUKI_PAIRING_SERVICE, [NUKI_PAIRING_GDIO], timeoutMs);
  }

  private connect(address: string, serviceUuid: string, characteristics: string[], timeoutMs: number): Promise<BleLink> {
    return this.take(async (central) => {
      try {
        return await central.connect(address, { serviceUuid, characteristics, timeoutMs });
      } catch (err) {
        if (!isGatewayError(err, 'NOT_FOUND') || (err.details.field ?? '') === 'characteristics') throw err;
      }
      // not seen yet by this adapter: look for it
      const seen = await central.scan({ timeoutMs: this.options.config.scanMs, until: (r) => r.address === address.toLowerCase() });
      if (!seen.some((r) => r.address === address.toLowerCase())) {
        throw new GatewayError('DEVICE_OFFLINE', `lock ${address} is not in range (not seen in ${this.options.config.scanMs} ms)`, { id: address });
      }
      return central.connect(address, { serviceUuid, characteristics, timeoutMs });
    });
  }

  /** Runs `work` when the central is free (and open). */
  private take<T>(work: (central: GattCentral) => Promise<T>): Promise<T> {
    const run = this.turn.catch(() => undefined).then(async () => {
      if (this.stopped) throw new GatewayError('DEVICE_OFFLINE', 'the lock radio is stopped');
      return work(await this.central());
    });
    this.turn = run;
    return run;
  }

  private central(): Promise<GattCentral> {
    this.opening ??= openCentral(this.options.config.adapter, { clock: this.options.clock, timeoutMs: POWER_ON_TIMEOUT_MS, log: this.log }).then(
      (adapter) => {
        this.adapter = adapter;
        this.log.info({ adapter: adapter.name }, 'lock radio: powered on');
        return new GattCentral(adapter.noble, { clock: this.options.clock, log: this.log });
      },
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }
}
