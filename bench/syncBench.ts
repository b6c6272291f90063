/**
 * The cloud link benchmarks, through a real Mosquitto, with the cloud in its own process
 * (syncPeer.ts) and the real gateway here:
 *
 * - `sync_snapshot`: the whole synthetic site (1,000,000 credentials at scale 1) published as
 *   signed snapshot chunks and applied; end to end from the first chunk sent to the apply_ack.
 *   Meanwhile a 1 ms timer on the gateway's event loop measures the longest stall: doors decide
 *   on that loop.
 * - `sync_delta`: a chain of deltas (people renamed and back) published as fast as the broker
 *   takes them; acknowledged operations per second on the loaded site.
 * - `event_drain`: a journal backlog uploaded and acknowledged, not rate-limited.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { compileIndex } from '../src/access/compileIndex.js';
import type { PinHasher } from '../src/access/pinDigest.js';
import { SystemClock } from '../src/clock.js';
import type { ApplyAck } from '../src/cloud/messages.js';
import { generateSigningKeyPair } from '../src/cloud/keys.js';
import { parseConfig } from '../src/config/loadConfig.js';
import { Gateway } from '../src/gateway.js';
import { AccessStore } from '../src/store/accessStore.js';
import { parseBatch } from '../src/store/batchOp.js';
import { openDatabase } from '../src/store/database.js';
import { startTestBroker } from '../test/fixtures/mosquitto.js';
import { emit, note } from './report.js';
import type { PeerCommand, PeerReply } from './syncPeer.js';
import { renameOperations } from './syncOperations.js';
import type { SyntheticSite } from './syntheticSite.js';
import { summarize } from './stats.js';

const GATEWAY = 'gw-bench';
const ISSUER = 'bench-cloud';
/** the chunk size docs/mqtt.md recommends (LOCKGW_BENCH_CHUNK_OPS to try another) */
const CHUNK_OPS = Number(process.env.LOCKGW_BENCH_CHUNK_OPS ?? 1000);
const DELTA_PEOPLE = 1000;

export interface SyncBenchInput {
  dir: string;
  /** the seeded database of the synthetic site: the content the snapshot must reproduce */
  seededDb: string;
  site: SyntheticSite;
  pinHasher: PinHasher;
  scale: number;
  seed: number;
  secret: Uint8Array;
  only: { snapshot: boolean; delta: boolean; drain: boolean };
}

/** The longest gaps between ticks of a 1 ms timer: how long the event loop was blocked. */
class StallMonitor {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  readonly gaps: number[] = [];

  private started = 0;

  start(): void {
    this.last = performance.now();
    this.started = this.last;
    const tick = () => {
      const now = performance.now();
      if (now - this.last > 18 && process.env.LOCKGW_BENCH_LOG) note(`stall ${(now - this.last).toFixed(0)} ms ending ${((now - this.started) / 1000).toFixed(2)} s after the start`);
      this.gaps.push(now - this.last);
      this.ends.push(now - this.started);
      this.last = now;
      this.timer = setTimeout(tick, 1);
    };
    this.timer = setTimeout(tick, 1);
  }

  /** when each gap ended, ms after start() */
  readonly ends: number[] = [];

  /** The gaps, including the one still open (a stall that the awaited event ended inside). */
  stop(): number[] {
    if (this.timer !== null) clearTimeout(this.timer);
    const now = performance.now();
    this.gaps.push(now - this.last);
    this.ends.push(now - this.started);
    return this.gaps;
  }

  /** The longest gap that ended after `fromMs` (ms after start()). */
  maxAfter(fromMs: number): number {
    let max = 0;
    for (let i = 0; i < this.gaps.length; i++) if (this.ends[i]! > fromMs && this.gaps[i]! > max) max = this.gaps[i]!;
    return max;
  }
}

function contentHashes(seededDb: string, site: SyntheticSite, pinHasher: PinHasher): { base: string; renamed: string } {
  const db = openDatabase(seededDb);
  try {
    const store = new AccessStore(db, pinHasher);
    const base = store.snapshot(compileIndex).hash;
    let renamed = '';
    try {
      store.applyOperations(parseBatch(renameOperations(site, DELTA_PEOPLE)[0]), {
        source: 'cloud',
        beforeCommit: () => {
          renamed = store.snapshot(compileIndex).hash;
          throw new Error('rolled back on purpose');
        },
      });
    } catch {
      // the rename is only measured, never kept
    }
    return { base, renamed };
  } finally {
    db.close();
  }
}

export async function runSyncBench(input: SyncBenchInput): Promise<void> {
  const teardowns: Array<() => unknown> = [];
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  try {
    const started = await startTestBroker(owner);
    if (!started.available) {
      note(`sync: skipped, no MQTT broker (${started.reason})`);
      return;
    }
    const hashes = contentHashes(input.seededDb, input.site, input.pinHasher);
    const key = generateSigningKeyPair('bench-cloud');
    const config = parseConfig({
      gateway: { id: GATEWAY, dataDir: join(input.dir, 'sync-gateway') },
      demo: { seed: false },
      control: { enabled: false },
      journal: { maxEvents: 1_000_000 },
      cloud: {
        enabled: true, url: started.broker.url, issuer: ISSUER, keys: [{ kid: key.kid, pem: key.publicPem }],
        upload: { batchSize: 1000, maxEventsPerSecond: 1_000_000, pollMs: 10 },
        sync: { staleAfterMs: 3_600_000 },
      },
    });
    const gateway = new Gateway(config, { clock: new SystemClock(), logger: pino({ level: process.env.LOCKGW_BENCH_LOG ?? 'silent' }, pino.destination(2)) });
    await gateway.start();
    teardowns.push(() => gateway.stop());
    const link = gateway.cloud!;
    if (link.status().connection?.state !== 'connected') await new Promise((resolve) => link.once('connected', resolve));

    const peer = fork(fileURLToPath(new URL('./syncPeer.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    teardowns.push(() => { if (peer.exitCode === null) peer.disconnect(); });
    const ask = (command: PeerCommand) => request(peer, command);
    const ready = await ask({ setup: { url: started.broker.url, gatewayId: GATEWAY, kid: key.kid, privateKeyPem: key.privatePem, issuer: ISSUER, scale: input.scale, seed: input.seed, secret: [...input.secret] } });
    const operations = 'ready' in ready ? ready.ready.operations : 0;

    if (input.only.snapshot || input.only.delta) {
      const monitor = new StallMonitor();
      const acked = new Promise<ApplyAck>((resolve) => link.on('applied', (a) => { if (a.snapshotId === 'bench-1') resolve(a); }));
      monitor.start();
      const t0 = performance.now();
      const published = await ask({ snapshot: { version: 1, hash: hashes.base, chunkOps: CHUNK_OPS } });
      const publishedAt = performance.now() - t0;
      const ack = await withTimeout(acked, 600_000, () => `no apply_ack within 10 min; the gateway's sync status: ${JSON.stringify(link.status().sync)}`);
      const seconds = (performance.now() - t0) / 1000;
      const gaps = summarize(Float64Array.from(monitor.stop()));
      const afterPublish = monitor.maxAfter(publishedAt);
      const sent = 'published' in published ? published.published : { messages: 0, bytes: 0, ms: 0 };
      note(`sync_snapshot: ${operations.toLocaleString('en-US')} operations in ${sent.messages} chunks (${(sent.bytes / 1e6).toFixed(0)} MB) published in ${(sent.ms / 1000).toFixed(1)} s; applied and acknowledged after ${seconds.toFixed(1)} s (hash ${ack.hash === hashes.base ? 'matches' : 'DIFFERS'}); event-loop gaps p50 ${gaps.p50.toFixed(1)} ms, p99 ${gaps.p99.toFixed(1)} ms, max ${gaps.max.toFixed(0)} ms (${afterPublish.toFixed(0)} ms once the peer had published everything)`);
      if (input.only.snapshot) {
        emit({ bench: 'sync_snapshot', metric: 'end_to_end_s', value: seconds, unit: 's', target: input.scale >= 1 ? 20 : null, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'max_stall_ms', value: gaps.max, unit: 'ms', target: 20, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'max_stall_after_publish_ms', value: afterPublish, unit: 'ms', target: null, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'p99_gap_ms', value: gaps.p99, unit: 'ms', target: null, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'operations_per_s', value: operations / seconds, unit: 'ops/s', target: null, better: 'higher' });
        emit({ bench: 'sync_snapshot', metric: 'publish_s', value: sent.ms / 1000, unit: 's', target: null, better: 'lower' });
      }

      if (input.only.delta) {
        const count = Math.max(10, Math.round(40 * Math.min(1, input.scale * 4)));
        const last = 1 + count;
        const applies: number[] = [];
        const done = new Promise<void>((resolve) => link.on('applied', (a) => {
          applies.push(a.revision);
          if (a.revision === last) resolve();
        }));
        const dm = new StallMonitor();
        dm.start();
        const t1 = performance.now();
        await ask({ deltas: { fromVersion: 1, count, people: DELTA_PEOPLE, hashes: [hashes.renamed, hashes.base] } });
        await withTimeout(done, 600_000, () => `deltas not all acknowledged within 10 min (last revision ${applies.at(-1)}); sync status ${JSON.stringify(link.status().sync)}`);
        const s = (performance.now() - t1) / 1000;
        const dgaps = summarize(Float64Array.from(dm.stop()));
        const ops = count * DELTA_PEOPLE;
        note(`sync_delta: ${count} deltas of ${DELTA_PEOPLE} operations acknowledged in ${s.toFixed(1)} s, applied in ${applies.length} runs; event-loop max stall ${dgaps.max.toFixed(0)} ms`);
        emit({ bench: 'sync_delta', metric: 'acked_operations_per_s', value: ops / s, unit: 'ops/s', target: 5000, better: 'higher' });
        emit({ bench: 'sync_delta', metric: 'max_stall_ms', value: dgaps.max, unit: 'ms', target: null, better: 'lower' });
      }
    }

    if (input.only.drain) {
      const events = Math.max(10_000, Math.round(100_000 * input.scale));
      await link.stop(); // fill the journal while nothing uploads
      const journal = gateway.journal;
      const at = Date.now();
      for (let i = 0; i < events; i++) journal.append({ type: 'access', at: at + i, doorId: 'door-1', grant: i % 3 !== 0, reason: i % 3 !== 0 ? 'granted' : 'outside_schedule', personId: `p-${i % 5000}`, credentialId: `c-${i}`, data: { kind: 'card', revision: 1 } });
      journal.flush();
      await ask({ ackEvents: true });
      const drained = new Promise<void>((resolve) => link.on('acked', () => { if (journal.stats().count === 0) resolve(); }));
      const t2 = performance.now();
      await link.start();
      await withTimeout(drained, 600_000, () => `the backlog did not drain within 10 min (${journal.stats().count} events left)`);
      const s = (performance.now() - t2) / 1000;
      note(`event_drain: ${events.toLocaleString('en-US')} events uploaded in batches of ${config.cloud.upload.batchSize} and acknowledged in ${s.toFixed(2)} s (includes the reconnect)`);
      emit({ bench: 'event_drain', metric: 'events_per_s', value: events / s, unit: 'events/s', target: 10_000, better: 'higher' });
    }
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

function request(peer: ChildProcess, command: PeerCommand): Promise<PeerReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: PeerReply) => {
      peer.off('exit', onExit);
      if ('error' in reply) reject(new Error(`sync peer: ${reply.error}`));
      else resolve(reply);
    };
    const onExit = (code: number | null) => reject(new Error(`sync peer exited (${code})`));
    peer.once('message', onMessage);
    peer.once('exit', onExit);
    peer.send(command);
  });
}

/** A benchmark that waits for the gateway must not hang forever: fail with what is known. */
function withTimeout<T>(promise: Promise<T>, ms: number, why: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(why())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
