/**
 * The emulated Nuki lock on a real BLE peripheral (bleno, through GattPeripheral): the two GATT
 * services of the real lock — the pairing service with its GDIO, the keyturner service with GDIO
 * and USDIO — all sending indications, as the real lock does. The advertisement carries the
 * pairing service UUID while the emulator is in pairing mode (which is how `lockgw ble scan`
 * tells pairing mode) and the keyturner service UUID otherwise; it follows the emulator's
 * pairing mode as it changes. Each central's connection is attached to the emulator.
 *
 * `start()` serves and advertises; `stop()` disconnects every central and stops advertising (the
 * lock "vanishes"); `start()` again brings it back. Pairings live in the emulator's memory only.
 */
import type { Bleno } from '@stoprocent/bleno';
import type { BleLogger } from '../../src/hal/ble/bleAdapter.js';
import type { BleLink } from '../../src/hal/ble/bleLink.js';
import { GattPeripheral } from '../../src/hal/ble/gattPeripheral.js';
import { NUKI_KEYTURNER_GDIO, NUKI_KEYTURNER_SERVICE, NUKI_KEYTURNER_USDIO, NUKI_PAIRING_GDIO, NUKI_PAIRING_SERVICE } from '../../src/hal/ble/nuki/nukiConstants.js';
import type { Clock } from '../../src/kernel/clock.js';
import type { NukiLockEmulator } from './nukiLockEmulator.js';

export interface LockSimServerOptions {
  bleno: Bleno;
  emulator: NukiLockEmulator;
  clock: Clock;
  log?: BleLogger;
  /** the advertised local name; default Nuki_<first 4 bytes of the lock's uuid, hex> as the real lock */
  name?: string;
  /** each connection the emulator now serves */
  onConnect?(link: BleLink): void;
}

export class LockSimServer {
  readonly name: string;
  private server: GattPeripheral | null = null;
  private readonly links = new Set<BleLink>();
  private readonly onPairingMode = (on: boolean) => {
    this.server?.advertise(on ? NUKI_PAIRING_SERVICE : NUKI_KEYTURNER_SERVICE).catch((err: unknown) => this.o.log?.warn({ err }, 'lock-sim: could not change the advertisement'));
  };

  constructor(private readonly o: LockSimServerOptions) {
    this.name = o.name ?? `Nuki_${Buffer.from(o.emulator.uuid.subarray(0, 4)).toString('hex').toUpperCase()}`;
  }

  get serving(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = new GattPeripheral(this.o.bleno, { clock: this.o.clock, log: this.o.log });
    this.server = server;
    this.o.emulator.events.on('pairingMode', this.onPairingMode);
    try {
      await server.serve({
        name: this.name,
        services: [
          { uuid: NUKI_PAIRING_SERVICE, characteristics: [NUKI_PAIRING_GDIO], send: 'indicate' },
          { uuid: NUKI_KEYTURNER_SERVICE, characteristics: [NUKI_KEYTURNER_GDIO, NUKI_KEYTURNER_USDIO], send: 'indicate' },
        ],
        advertisedService: this.o.emulator.pairingMode() ? NUKI_PAIRING_SERVICE : NUKI_KEYTURNER_SERVICE,
        onConnect: (link) => {
          const detach = this.o.emulator.attach(link);
          this.links.add(link);
          link.onClose(() => { detach(); this.links.delete(link); });
          this.o.onConnect?.(link);
        },
      });
    } catch (err) {
      this.o.emulator.events.off('pairingMode', this.onPairingMode);
      this.server = null;
      throw err;
    }
  }

  /** the centrals connected now */
  connected(): BleLink[] {
    return [...this.links].filter((l) => !l.closed);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.o.emulator.events.off('pairingMode', this.onPairingMode);
    await server.stop();
  }
}
