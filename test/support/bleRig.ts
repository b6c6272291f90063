/**
 * Real noble and real bleno on a virtual radio, through the product adapters: a peripheral
 * ("phone") serving SERVICE with characteristics TX and RX, a central ("gateway") that has
 * scanned it. `nextPhoneLink()` waits for the peripheral side of the next connection.
 */
import type { Clock } from '../../src/kernel/clock.js';
import { SystemClock } from '../../src/kernel/clock.js';
import { openCentral, openPeripheral, type BleLogger, type CentralAdapter, type PeripheralAdapter } from '../../src/hal/ble/bleAdapter.js';
import { GattCentral, type ScanResult } from '../../src/hal/ble/gattCentral.js';
import { GattPeripheral } from '../../src/hal/ble/gattPeripheral.js';
import type { BleLink } from '../../src/hal/ble/bleLink.js';
import { startVirtualBle, type VirtualBle } from '../../tools/virtual-ble/index.js';

export const SERVICE = '6e400001b5a3f393e0a9e50e24dcca9e';
export const TX = '6e400002b5a3f393e0a9e50e24dcca9e';
export const RX = '6e400003b5a3f393e0a9e50e24dcca9e';

/** resolves with what `register` hands to its callback, or rejects after `ms` saying what did not happen */
export function within<T>(ms: number, what: string, register: (done: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    register((value) => { clearTimeout(timer); resolve(value); });
  });
}

export interface BleRig {
  ble: VirtualBle;
  central: CentralAdapter;
  peripheral: PeripheralAdapter;
  gatt: GattCentral;
  server: GattPeripheral;
  phone: ScanResult;
  nextPhoneLink(): Promise<BleLink>;
  connect(): Promise<BleLink>;
  stop(): Promise<void>;
}

export async function bleRig(options: { leBufferSize?: number; centralClock?: Clock; sendTimeoutMs?: number; log?: BleLogger } = {}): Promise<BleRig> {
  const clock = new SystemClock();
  const ble = await startVirtualBle({ hosts: ['gateway', 'phone'], leBufferSize: options.leBufferSize });
  const [central, peripheral] = await Promise.all([
    openCentral({ uart: ble.uartPort('gateway') }, { clock, timeoutMs: 5000, log: options.log }),
    openPeripheral({ uart: ble.uartPort('phone') }, { clock, timeoutMs: 5000, log: options.log }),
  ]);
  const waiting: ((l: BleLink) => void)[] = [];
  const ready: BleLink[] = [];
  const server = new GattPeripheral(peripheral.bleno, { clock });
  await server.serve({
    name: 'lockgw-phone',
    serviceUuid: SERVICE,
    characteristics: [TX, RX],
    manufacturerData: Uint8Array.from([0xff, 0xff, 0x4c, 0x47]),
    onConnect: (link) => { const w = waiting.shift(); if (w) w(link); else ready.push(link); },
  });
  const gatt = new GattCentral(central.noble, { clock: options.centralClock ?? clock });
  const found = await gatt.scan({ serviceUuid: SERVICE, timeoutMs: 5000, until: (r) => r.address === ble.address('phone') });
  const phone = found.find((r) => r.address === ble.address('phone'));
  if (!phone) throw new Error(`the phone was not found: ${JSON.stringify(found)}`);
  const nextPhoneLink = () => {
    const l = ready.shift();
    return l ? Promise.resolve(l) : within<BleLink>(5000, 'the phone side of a connection', (done) => waiting.push(done));
  };
  return {
    ble, central, peripheral, gatt, server, phone, nextPhoneLink,
    connect: () => gatt.connect(phone.address, { serviceUuid: SERVICE, characteristics: [TX, RX], timeoutMs: 5000, sendTimeoutMs: options.sendTimeoutMs }),
    async stop() {
      await server.stop();
      await Promise.all([central.stop(), peripheral.stop()]);
      await ble.close();
    },
  };
}
