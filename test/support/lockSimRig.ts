/**
 * A Nuki lock emulator served over real bleno on a virtual radio, and the gateway side's UART:
 * what the end-to-end lock tests and the BLE lock benchmark share. Hosts are 'gateway' and
 * 'lock'; the lock runs on its own system clock with a fast motor (the gateway under test keeps
 * its own clock). `vanish()` / `appear()` take the lock off the air and bring it back.
 */
import { openPeripheral, type PeripheralAdapter } from '../../src/hal/ble/bleAdapter.js';
import { SystemClock } from '../../src/kernel/clock.js';
import { startVirtualBle, type VirtualBle } from '../../tools/virtual-ble/index.js';
import { NukiLockEmulator, type NukiLockActionRecord, type NukiLockEmulatorOptions } from '../../tools/lock-sim/nukiLockEmulator.js';
import { LockSimServer } from '../../tools/lock-sim/lockSimServer.js';
import { within } from './bleRig.js';

export interface LockSimRig {
  ble: VirtualBle;
  emu: NukiLockEmulator;
  lock: LockSimServer;
  peripheral: PeripheralAdapter;
  /** the UART the gateway's lock radio opens */
  gatewayUart: string;
  lockAddress: string;
  /** resolves with the next lock action the emulator's motor finishes */
  nextAction(ms?: number): Promise<NukiLockActionRecord>;
  /** the lock leaves the air: its links drop (supervision timeout) and it stops advertising */
  vanish(): Promise<void>;
  appear(): Promise<void>;
  stop(): Promise<void>;
}

export async function lockSimRig(options: Partial<NukiLockEmulatorOptions> = {}): Promise<LockSimRig> {
  const clock = new SystemClock();
  const ble = await startVirtualBle({ hosts: ['gateway', 'lock'] });
  let peripheral: PeripheralAdapter;
  try {
    peripheral = await openPeripheral({ uart: ble.uartPort('lock') }, { clock, timeoutMs: 5000 });
  } catch (err) {
    await ble.close();
    throw err;
  }
  const emu = new NukiLockEmulator({ clock, motorMs: 5, unlatchHoldMs: 5, ...options });
  const lock = new LockSimServer({ bleno: peripheral.bleno, emulator: emu, clock });
  await lock.start();
  return {
    ble, emu, lock, peripheral,
    gatewayUart: ble.uartPort('gateway'),
    lockAddress: ble.address('lock'),
    nextAction: (ms = 5000) => within<NukiLockActionRecord>(ms, 'a lock action at the emulator', (done) => emu.events.once('action', done)),
    async vanish() {
      const closing = lock.connected().map((l) => within<string>(3000, 'the lock side of a dropped link to close', (done) => l.onClose(done)));
      ble.radio.dropLink('lock');
      await Promise.all(closing);
      await lock.stop();
    },
    appear: () => lock.start(),
    async stop() {
      await lock.stop();
      emu.dispose();
      await peripheral.stop();
      await ble.close();
    },
  };
}
