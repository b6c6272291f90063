/**
 * A Nuki lock emulator served over real bleno on a virtual radio, and the gateway side's UART:
 * what the end-to-end lock tests and the BLE lock benchmark share. Hosts are 'gateway' and
 * 'lock'; the lock runs on its own system clock with a fast motor (the gateway under test keeps
 * its own clock). `vanish()` / `appear()` take the lock off the air and bring it back.
 *
 * What the lock side is doing is observable, for tests that must know when nothing but the
 * gateway's clock can move things on: `lockBusy()` (a motor or latch timer of the emulator runs,
 * or a value the lock sent is not yet confirmed by the central — an indication's send settles
 * on its confirmation, so a settled send was processed by the gateway), `lockReachable()` (it is on
 * the air: between appear() and vanish()), and `onActivity()` (every packet either way on either controller,
 * every lock send settling, every emulator timer firing).
 */
import { EventEmitter } from 'node:events';
import { openPeripheral, type PeripheralAdapter } from '../../src/hal/ble/bleAdapter.js';
import { aroundSends, type BleLink } from '../../src/hal/ble/bleLink.js';
import { SystemClock, type TimerHandle } from '../../src/kernel/clock.js';
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
  /** a motor or latch timer runs at the lock, or a value it sent is not yet confirmed */
  lockBusy(): boolean;
  /** the lock is on the air (serving: advertising, or about to, or connected): a connection to it can complete */
  lockReachable(): boolean;
  /** calls `listener` on every sign of life of the lock side or the air; returns the unsubscribe */
  onActivity(listener: () => void): () => void;
  stop(): Promise<void>;
}

/** The emulator's clock: the system's, with its pending timers counted. */
class CountingClock extends SystemClock {
  private readonly live = new Set<TimerHandle>();
  constructor(private readonly changed: () => void) { super(); }
  get pending(): number { return this.live.size; }
  override setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = super.setTimeout(() => { this.live.delete(handle); callback(); this.changed(); }, ms);
    this.live.add(handle);
    return handle;
  }
  override clearTimeout(handle: TimerHandle | null | undefined): void {
    if (handle) this.live.delete(handle);
    super.clearTimeout(handle);
  }
}

/** The emulator, its sends on every link counted until they settle. */
class ObservedLock extends NukiLockEmulator {
  unsettled = 0;
  constructor(options: NukiLockEmulatorOptions, private readonly changed: () => void) { super(options); }
  override attach(link: BleLink): () => void {
    return super.attach(aroundSends(link, (send) => {
      this.unsettled++;
      return send().finally(() => { this.unsettled--; this.changed(); });
    }));
  }
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
  const activity = new EventEmitter<{ activity: [] }>();
  const changed = () => activity.emit('activity');
  const emuClock = new CountingClock(changed);
  const emu = new ObservedLock({ clock: emuClock, motorMs: 5, unlatchHoldMs: 5, ...options }, changed);
  for (const host of ['gateway', 'lock']) {
    const controller = ble.controller(host);
    controller.on('tx', changed);
    controller.on('rx', changed);
  }
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
    lockBusy: () => emuClock.pending > 0 || emu.unsettled > 0,
    lockReachable: () => lock.serving,
    onActivity(listener) {
      activity.on('activity', listener);
      return () => activity.off('activity', listener);
    },
    async stop() {
      await lock.stop();
      emu.dispose();
      await peripheral.stop();
      await ble.close();
    },
  };
}
