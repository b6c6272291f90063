/**
 * The door_latency peer, in its own process so that its timing does not wait for the gateway's
 * event loop (a real bridge and a real relay board do not): it writes card lines into the
 * bridge's PTY, reads relay frames from the relay's PTY and times each write → energise frame
 * itself. Between grants it asks the parent (the gateway's process) to let the pulse end.
 *
 * IPC: parent → {start: {bridge, relay, rounds, warmup}}; peer → {granted: i} after each grant;
 * parent → {relocked: i} once the clock moved; peer → {samples: number[]} (ns) at the end.
 */
import { pino } from 'pino';
import { RelayBoardEmulator } from '../test/support/relayBoardEmulator.js';
import type { RelayFrame } from '../src/hal/serial/relay/relayFrame.js';
import { SerialLink } from '../src/hal/serial/serialLink.js';
import { BridgeEmulator } from '../test/support/bridgeEmulator.js';
import { SystemClock } from '../src/kernel/clock.js';

interface Start { bridge: string; relay: string; rounds: number; warmup: number }

const send = (message: unknown) => process.send!(message);
const next = () => new Promise<Record<string, unknown>>((resolve) => process.once('message', (m) => resolve(m as Record<string, unknown>)));

async function main(): Promise<void> {
  const { start } = (await next()) as { start: Start };
  const clock = new SystemClock();
  const logger = pino({ level: 'silent' });
  const bridgeEnd = new SerialLink({ path: start.bridge, baudRate: 115_200, clock, logger });
  const relayEnd = new SerialLink({ path: start.relay, baudRate: 9_600, clock, logger });
  await bridgeEnd.start();
  await relayEnd.start();
  const bridge = new BridgeEmulator({ clock, link: bridgeEnd });
  const relays = new RelayBoardEmulator({ channels: 1 });
  relays.attach(relayEnd);
  const frame = (energised: boolean) =>
    new Promise<void>((resolve) => {
      const check = (f: RelayFrame) => {
        if (f.energised !== energised) return;
        relays.off('frame', check);
        resolve();
      };
      relays.on('frame', check);
    });
  const line = bridge.heartbeatLine() + bridge.cardLine(1, 'H10304', 4321, 123456);
  const samples: number[] = [];
  for (let i = 0; i < start.rounds + start.warmup; i++) {
    const released = frame(true);
    const t0 = process.hrtime.bigint();
    await bridgeEnd.write(line);
    await released;
    const dt = Number(process.hrtime.bigint() - t0);
    if (i >= start.warmup) samples.push(dt);
    const relocked = frame(false);
    send({ granted: i });
    await relocked;
  }
  send({ samples });
  await bridgeEnd.stop();
  await relayEnd.stop();
}

main().catch((err: unknown) => {
  send({ error: (err as Error).stack ?? String(err) });
  process.exitCode = 1;
});
