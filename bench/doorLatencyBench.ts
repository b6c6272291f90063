/**
 * `door_latency`: a card frame written into the Wiegand bridge's PTY → the relay command read from
 * the relay board's PTY, through the real gateway (serial drivers, door controller, decision on
 * the full synthetic site, journal). Baseline in the same run: the bare PTY hop (bytes written
 * into one socat pair, read from the other end), the transport floor the gateway adds to.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { SerialLink } from '../src/hal/serial/serialLink.js';
import { BridgeEmulator } from '../test/support/bridgeEmulator.js';
import { ManualClock } from '../src/kernel/clock.js';
import { parseConfig } from '../src/app/config/loadConfig.js';
import { Gateway } from '../src/app/gateway.js';
import { ptyPair, socatAvailable } from '../test/support/ptyPair.js';
import { emit, note } from './report.js';
import { summarize } from './stats.js';

const UNLOCK_MS = 500;
const ms = (ns: number) => ns / 1e6;

export async function runDoorLatencyBench(dir: string, dbFile: string, doorId: string, scale: number): Promise<void> {
  if (!socatAvailable()) {
    note('door_latency: skipped, socat is not installed (apt-get install socat)');
    return;
  }
  const teardowns: (() => unknown)[] = [];
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  const logger = pino({ level: 'silent' });
  const clock = new ManualClock(Date.parse('2026-06-15T10:00:00Z'));
  try {
    const rounds = Math.max(200, Math.round(2_000 * scale));
    const warmup = 50;
    const door = summarize(await timeGrants({ dir, dbFile, doorId, rounds, warmup, clock, logger, metrics: false }));
    // the same in the same run with metrics on (the decision counter in the journal's append, the endpoint listening)
    const withMetrics = summarize(await timeGrants({ dir, dbFile, doorId, rounds, warmup, clock, logger, metrics: true }));
    const lines = new BridgeEmulator({ clock }); // only makes strings: the peer's exact line, for the hop baseline
    const line = lines.heartbeatLine() + lines.cardLine(1, 'H10304', 4321, 123456);

    // baseline: the same line over a bare PTY hop (written into one end, fully read at the other)
    const hopPty = await ptyPair(owner);
    const from = new SerialLink({ path: hopPty.a, baudRate: 115_200, clock, logger });
    const to = new SerialLink({ path: hopPty.b, baudRate: 115_200, clock, logger });
    await from.start();
    await to.start();
    teardowns.push(() => from.stop(), () => to.stop());
    const hop = new Float64Array(rounds);
    for (let i = 0; i < rounds + warmup; i++) {
      let got = 0;
      const arrived = new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          got += chunk.length;
          if (got < line.length) return;
          to.off('data', onData);
          resolve();
        };
        to.on('data', onData);
      });
      const t0 = process.hrtime.bigint();
      await from.write(line);
      await arrived;
      if (i >= warmup) hop[i - warmup] = Number(process.hrtime.bigint() - t0);
    }
    const bare = summarize(hop);
    note(`door_latency: bare PTY hop p50 ${ms(bare.p50).toFixed(3)} ms, p99 ${ms(bare.p99).toFixed(3)} ms (the transport floor; the door path crosses two hops)`);
    emit({ bench: 'door_latency', metric: 'p50_ms', value: ms(door.p50), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'door_latency', metric: 'p99_ms', value: ms(door.p99), unit: 'ms', target: 2, better: 'lower' });
    emit({ bench: 'door_latency', metric: 'max_ms', value: ms(door.max), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'door_latency', metric: 'pty_hop_p50_ms', value: ms(bare.p50), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'door_latency', metric: 'pty_hop_p99_ms', value: ms(bare.p99), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'door_latency', metric: 'gateway_share_p50_ms', value: ms(door.p50 - 2 * bare.p50), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'door_latency', metric: 'metrics_p50_ms', value: ms(withMetrics.p50), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'door_latency', metric: 'metrics_p99_ms', value: ms(withMetrics.p99), unit: 'ms', target: null, better: 'lower' });
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

interface GrantRun {
  dir: string;
  dbFile: string;
  doorId: string;
  rounds: number;
  warmup: number;
  clock: ManualClock;
  logger: Logger;
  /** metrics.enabled, on an endpoint at a free loopback port */
  metrics: boolean;
}

/** One gateway on the loaded site, `rounds` grants timed by the door peer (ns each); the gateway is stopped after. */
async function timeGrants(run: GrantRun): Promise<Float64Array> {
  const { dir, dbFile, doorId, rounds, warmup, clock, logger } = run;
  const teardowns: (() => unknown)[] = [];
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  try {
    const bridgePty = await ptyPair(owner);
    const relayPty = await ptyPair(owner);
    const config = parseConfig({
      gateway: { dataDir: dir },
      store: { file: dbFile },
      demo: { seed: false },
      journal: { maxEvents: 1_000_000 },
      metrics: { enabled: run.metrics, listen: '127.0.0.1:0' },
      serial: { wiegandBridges: [{ id: 'bench-bridge', path: bridgePty.a }], relayBoards: [{ id: 'bench-relays', path: relayPty.a, channels: 1, refreshMs: 0 }] },
      doors: [{ id: doorId, hardware: 'serial', unlockMs: UNLOCK_MS, serial: { reader: { bridge: 'bench-bridge', port: 1 }, actuator: { board: 'bench-relays', channel: 1 } } }],
    });
    const gateway = new Gateway(config, { clock, logger });
    await gateway.start();
    teardowns.push(() => gateway.stop());
    if (run.metrics && gateway.metrics?.server?.address() == null) throw new Error('door_latency: the metrics endpoint did not start');
    // one known card with a 24/7 key to the door, added to the loaded site (an upsert: the second run changes nothing)
    gateway.applyBatch([
      { op: 'upsert', entity: 'person', record: { id: 'bench-person', name: 'Bench' } },
      { op: 'upsert', entity: 'key', record: { id: 'bench-key', name: 'Bench', doors: [{ doorId }] } },
      { op: 'upsert', entity: 'holding', record: { personId: 'bench-person', keyId: 'bench-key' } },
      { op: 'upsert', entity: 'credential', record: { id: 'bench-card', personId: 'bench-person', kind: 'card', card: '37:4321:123456' } },
    ], { source: 'cloud' });
    const label = run.metrics ? 'with metrics' : 'without metrics';
    note(`door_latency (${label}): gateway started on the synthetic site (${gateway.index.counts.credentials.toLocaleString('en-US')} credentials)`);
    const before = gateway.journal.stats().lastSeq;

    // the peer (bridge + relay board) runs in its own process and times each grant itself
    const peer = fork(fileURLToPath(new URL('./doorPeer.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    teardowns.push(() => { if (peer.exitCode === null) peer.kill(); });
    const samples = await new Promise<Float64Array>((resolve, reject) => {
      peer.on('message', (m: { granted?: number; samples?: number[]; error?: string }) => {
        if (m.granted !== undefined) {
          clock.advance(UNLOCK_MS); // the pulse ends: the door re-locks and the peer sees it
          return;
        }
        if (m.samples) resolve(Float64Array.from(m.samples));
        if (m.error) reject(new Error(`door peer: ${m.error}`));
      });
      peer.once('exit', (code) => reject(new Error(`door peer exited (${code})`)));
      peer.send({ start: { bridge: bridgePty.b, relay: relayPty.b, rounds, warmup } });
    });
    const door = summarize(samples);
    const granted = gateway.journal.recent(before, 1_000_000).filter((e) => e.type === 'access' && e.grant).length;
    note(`door_latency (${label}): ${rounds} grants (+${warmup} warm-up), ${granted} journaled; p50 ${ms(door.p50).toFixed(3)} ms, p99 ${ms(door.p99).toFixed(3)} ms, max ${ms(door.max).toFixed(3)} ms`);
    return samples;
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}
