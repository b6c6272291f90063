/**
 * The real daemon (`node --import tsx src/main.ts`) on a serial door: its Wiegand bridge and its
 * LCUS relay board are emulated in this process on the far ends of two socat PTY pairs, which
 * outlive the daemon (a PTY's far end stays open when the process holding the near end dies).
 * For the kill -9 → re-locked measurement (bench/relayRestartBench.ts) and its test
 * (test/hal/serial/relayRestart.test.ts), and with a fire input on the bridge for the fire
 * release on a corrupt database (bench/fireReleaseBench.ts). The emulators run on the system
 * clock: the daemon does.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SerialLink } from '../../src/hal/serial/serialLink.js';
import { SystemClock } from '../../src/kernel/clock.js';
import { BridgeEmulator, type EmulatedInput } from './bridgeEmulator.js';
import { spawnDaemon } from './daemonProcess.js';
import { ptyPair } from './ptyPair.js';
import { RelayBoardEmulator } from './relayBoardEmulator.js';

/** the demo site's lobby and alice's card (src/app/demo) */
const DOOR = 'lobby';
const CHANNEL = 1;

export interface Daemon {
  child: ChildProcess;
  /** resolves with the ready line; rejects if the daemon exits first */
  ready: Promise<void>;
  output(): string;
}

export interface RestartRigOptions {
  /** the site's fire input on this bridge port's aux terminal (supervised), at rest `normal` */
  firePort?: number;
}

export interface RestartRig {
  relays: RelayBoardEmulator;
  bridge: BridgeEmulator;
  /** the daemon's data directory (its SQLite file is `lockgw.db` there) */
  dataDir: string;
  channel: number;
  start(): Daemon;
  /** presents alice's card at the lobby reader; resolves when the relay board energised the strike */
  grant(): Promise<void>;
  /** resolves when the board is sent `energised` for the door's channel (rejects after `timeoutMs`) */
  nextFrame(energised: boolean, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function relayRestartRig(owner: { teardown(fn: () => unknown): void }, options: RestartRigOptions = {}): Promise<RestartRig> {
  const clock = new SystemClock();
  const logger = pino({ level: 'silent' });
  const bridgePty = await ptyPair(owner);
  const relayPty = await ptyPair(owner);
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-restart-'));
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, JSON.stringify({
    gateway: { id: 'gw-restart', dataDir: join(dir, 'data') },
    control: { enabled: false },
    log: { format: 'json', level: 'info' },
    serial: {
      wiegandBridges: [{ id: 'b1', path: bridgePty.a }],
      relayBoards: [{ id: 'r1', path: relayPty.a, channels: 4, refreshMs: 0 }],
    },
    // the longest unlock: the strike is still released when the daemon is killed
    doors: [{ id: DOOR, hardware: 'serial', unlockMs: 120_000, extendedUnlockMs: 120_000, heldOpenMs: 120_000, serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: CHANNEL } } }],
    ...(options.firePort !== undefined && { fire: { input: { bridge: 'b1', port: options.firePort, supervised: true } } }),
  }));
  const inputs: EmulatedInput[] = options.firePort !== undefined ? [{ port: options.firePort, line: 'aux', state: 'normal' }] : [];
  const bridgeEnd = new SerialLink({ path: bridgePty.b, baudRate: 115_200, clock, logger });
  const relayEnd = new SerialLink({ path: relayPty.b, baudRate: 9_600, clock, logger });
  await bridgeEnd.start();
  await relayEnd.start();
  const bridge = new BridgeEmulator({ clock, link: bridgeEnd, inputs });
  await bridge.start();
  const relays = new RelayBoardEmulator({ channels: 4 });
  relays.attach(relayEnd);
  const children: ChildProcess[] = [];

  const nextFrame = (energised: boolean, timeoutMs: number) =>
    new Promise<void>((resolve, reject) => {
      const guard = setTimeout(() => {
        relays.off('frame', check);
        reject(new Error(`no ${energised ? 'energise' : 'de-energise'} frame for channel ${CHANNEL} within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = (frame: { channel: number; energised: boolean }) => {
        if (frame.channel !== CHANNEL || frame.energised !== energised) return;
        clearTimeout(guard);
        relays.off('frame', check);
        resolve();
      };
      relays.on('frame', check);
    });

  const start = (): Daemon => {
    const d = spawnDaemon(['--config', config]);
    children.push(d.child);
    const ready = d.readyLine.then(() => undefined);
    ready.catch(() => undefined); // awaited by the caller; never an unhandled rejection
    return { child: d.child, ready, output: () => d.output().out + d.output().err };
  };

  const grant = async () => {
    const released = nextFrame(true, 10_000);
    await bridge.sendHeartbeat();
    await bridge.sendCard(1, 'H10301', 12, 34567); // alice, granted at the lobby
    await released;
  };

  const close = async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    await bridge.stop();
    await bridgeEnd.stop();
    await relayEnd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  owner.teardown(close);
  return { relays, bridge, dataDir: join(dir, 'data'), channel: CHANNEL, start, grant, nextFrame, close };
}
