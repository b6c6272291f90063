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
import { hashAccessSource } from '../src/access/contentHash.js';
import type { PinHasher } from '../src/access/pinDigest.js';
import { generateSigningKeyPair } from '../src/wire/keys.js';
import { DAEMON_NODE_FLAGS } from '../src/app/daemonNodeFlags.js';
import { AccessStore } from '../src/store/accessStore.js';
import { parseBatch } from '../src/store/batchOp.js';
import { openDatabase } from '../src/store/database.js';
import { startTestBroker } from '../test/support/mosquitto.js';
import { emit, note } from './report.js';
import type { PeerCommand, PeerReply } from './syncPeer.js';
import type { GatewayCommand, GatewayReply } from './syncGateway.js';
import { maxGapAfter } from './stallMonitor.js';
import { renameOperations } from './syncOperations.js';
import type { SyntheticSite } from './syntheticSite.js';
import { summarize } from './stats.js';

const GATEWAY = 'gw-bench';
const ISSUER = 'bench-cloud';
/** the chunk size docs/mqtt.md recommends (LOCKGW_BENCH_CHUNK_OPS to try another) */
const CHUNK_OPS = Number(process.env.LOCKGW_BENCH_CHUNK_OPS ?? 1000);
/** where the gateway and the peer write V8 CPU profiles, one per thread (LOCKGW_BENCH_CPU_PROFILE=dir), to see where the time goes */
const CPU_PROFILE_DIR = process.env.LOCKGW_BENCH_CPU_PROFILE;
const DELTA_PEOPLE = 1000;
/** more node flags for the gateway and peer processes, e.g. LOCKGW_BENCH_NODE_FLAGS='--trace-gc' or '--perf-basic-prof' (not allowed in NODE_OPTIONS) */
const CHILD_NODE_FLAGS = process.env.LOCKGW_BENCH_NODE_FLAGS;

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

function contentHashes(seededDb: string, site: SyntheticSite, pinHasher: PinHasher): { base: string; renamed: string } {
  const db = openDatabase(seededDb);
  try {
    const store = new AccessStore(db, pinHasher);
    const base = store.snapshot(hashAccessSource);
    let renamed = '';
    try {
      store.applyOperations(parseBatch(renameOperations(site, DELTA_PEOPLE)[0]), {
        source: 'cloud',
        beforeCommit: () => {
          renamed = store.snapshot(hashAccessSource);
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
    const child = (file: string) => {
      // the gateway runs with the daemon's V8 flags, as npm start and the systemd unit start it
      const execArgv = ['--expose-gc', '--import', 'tsx', ...(file === './syncGateway.ts' ? DAEMON_NODE_FLAGS : [])];
      if (CPU_PROFILE_DIR !== undefined) execArgv.push('--cpu-prof', '--cpu-prof-dir', CPU_PROFILE_DIR);
      if (CHILD_NODE_FLAGS !== undefined) execArgv.push(...CHILD_NODE_FLAGS.split(' ').filter((f) => f !== ''));
      const proc = fork(fileURLToPath(new URL(file, import.meta.url)), [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      proc.setMaxListeners(0);
      teardowns.push(() => { if (proc.exitCode === null && proc.connected) proc.disconnect(); });
      return proc;
    };
    const gatewayProcess = child('./syncGateway.ts');
    const gateway = (command: GatewayCommand) => request<GatewayCommand, GatewayReply>(gatewayProcess, command);
    await gateway({
      start: {
        gateway: { id: GATEWAY, dataDir: join(input.dir, 'sync-gateway') },
        demo: { seed: false },
        control: { enabled: false },
        journal: { maxEvents: 1_000_000 },
        cloud: {
          enabled: true, url: started.broker.url, issuer: ISSUER, keys: [{ kid: key.kid, pem: key.publicPem }],
          upload: { batchSize: 1000, maxEventsPerSecond: 1_000_000, pollMs: 10 },
          sync: { staleAfterMs: 3_600_000 },
        },
      },
    });
    const peer = child('./syncPeer.ts');
    const ask = (command: PeerCommand) => request<PeerCommand, PeerReply>(peer, command);
    const ready = await ask({ setup: { url: started.broker.url, gatewayId: GATEWAY, kid: key.kid, privateKeyPem: key.privatePem, issuer: ISSUER, scale: input.scale, seed: input.seed, secret: [...input.secret] } });
    const operations = 'ready' in ready ? ready.ready.operations : 0;
    const LIMIT = 600_000;

    if (input.only.snapshot || input.only.delta) {
      // the gateway starts watching, then the peer publishes; the watch ends with the apply_ack
      const watched = await startWatch(gatewayProcess, { snapshotId: 'bench-1' });
      const t0 = performance.now();
      const published = await ask({ snapshot: { version: 1, hash: hashes.base, chunkOps: CHUNK_OPS } });
      const publishedAt = performance.now() - t0;
      const applied = await withTimeout(watched.done, LIMIT, () => 'no apply_ack for the snapshot within 10 min');
      const gaps = summarize(Float64Array.from(applied.gaps));
      const afterPublish = maxGapAfter(applied, publishedAt);
      const sent = 'published' in published ? published.published : { messages: 0, bytes: 0, tokenBytes: 0, ms: 0 };
      note(`sync_snapshot: ${operations.toLocaleString('en-US')} operations in ${sent.messages} chunks (${(sent.bytes / 1e6).toFixed(0)} MB gzipped, ${(sent.tokenBytes / 1e6).toFixed(0)} MB of signed tokens) published in ${(sent.ms / 1000).toFixed(1)} s; applied and acknowledged after ${applied.seconds.toFixed(1)} s (hash ${applied.ack.hash === hashes.base ? 'matches' : 'DIFFERS'}); the gateway process's event-loop gaps p50 ${gaps.p50.toFixed(1)} ms, p99 ${gaps.p99.toFixed(1)} ms, max ${gaps.max.toFixed(0)} ms (${afterPublish.toFixed(0)} ms once the peer had published everything); its heap ${applied.heapMb.toFixed(0)} MB, one full GC ${applied.fullGcMs.toFixed(0)} ms`);
      if (input.only.snapshot) {
        emit({ bench: 'sync_snapshot', metric: 'end_to_end_s', value: applied.seconds, unit: 's', target: input.scale >= 1 ? 20 : null, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'max_stall_ms', value: gaps.max, unit: 'ms', target: 20, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'max_stall_after_publish_ms', value: afterPublish, unit: 'ms', target: null, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'p99_gap_ms', value: gaps.p99, unit: 'ms', target: null, better: 'lower' });
        emit({ bench: 'sync_snapshot', metric: 'operations_per_s', value: operations / applied.seconds, unit: 'ops/s', target: null, better: 'higher' });
        emit({ bench: 'sync_snapshot', metric: 'publish_s', value: sent.ms / 1000, unit: 's', target: null, better: 'lower' });
      }

      if (input.only.delta) {
        const count = Math.max(10, Math.round(40 * Math.min(1, input.scale * 4)));
        const watchedDeltas = await startWatch(gatewayProcess, { revision: 1 + count });
        const deltasPublished = await ask({ deltas: { fromVersion: 1, count, people: DELTA_PEOPLE, hashes: [hashes.renamed, hashes.base] } });
        const deltas = await withTimeout(watchedDeltas.done, LIMIT, () => 'the deltas were not all acknowledged within 10 min');
        const dgaps = summarize(Float64Array.from(deltas.gaps));
        const ops = count * DELTA_PEOPLE;
        const publishMs = 'published' in deltasPublished ? deltasPublished.published.ms : NaN;
        note(`sync_delta: ${count} deltas of ${DELTA_PEOPLE} operations published in ${publishMs.toFixed(0)} ms, acknowledged in ${deltas.seconds.toFixed(1)} s, applied in ${deltas.runs} runs; event-loop max stall ${dgaps.max.toFixed(0)} ms`);
        emit({ bench: 'sync_delta', metric: 'acked_operations_per_s', value: ops / deltas.seconds, unit: 'ops/s', target: 5000, better: 'higher' });
        emit({ bench: 'sync_delta', metric: 'max_stall_ms', value: dgaps.max, unit: 'ms', target: null, better: 'lower' });
      }
    }

    if (input.only.drain) {
      const events = Math.max(10_000, Math.round(100_000 * input.scale));
      await ask({ ackEvents: true });
      const reply = await withTimeout(gateway({ drain: { events } }), LIMIT, () => 'the backlog did not drain within 10 min');
      const drained = 'drained' in reply ? reply.drained : { seconds: Number.NaN, events };
      note(`event_drain: ${events.toLocaleString('en-US')} events uploaded in batches of 1000 and acknowledged in ${drained.seconds.toFixed(2)} s (includes the reconnect)`);
      emit({ bench: 'event_drain', metric: 'events_per_s', value: events / drained.seconds, unit: 'events/s', target: 10_000, better: 'higher' });
    }
    await gateway({ stop: true });
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

type Applied = Extract<GatewayReply, { applied: unknown }>['applied'];

/** Asks the gateway process to watch; resolves once it watches, with the promise of its result. */
async function startWatch(gatewayProcess: ChildProcess, watch: { snapshotId?: string; revision?: number }): Promise<{ done: Promise<Applied> }> {
  const result = new Promise<Applied>((resolve, reject) => {
    const onMessage = (reply: GatewayReply) => {
      if ('applied' in reply) {
        gatewayProcess.off('message', onMessage);
        resolve(reply.applied);
      } else if ('error' in reply) {
        gatewayProcess.off('message', onMessage);
        reject(new Error(`sync gateway: ${reply.error}`));
      }
    };
    gatewayProcess.on('message', onMessage);
  });
  await request<GatewayCommand, GatewayReply>(gatewayProcess, { watch });
  return { done: result };
}

/** Sends a command and resolves with the process's next reply (an {error} reply rejects). */
function request<C, R extends object>(proc: ChildProcess, command: C): Promise<R> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: R) => {
      proc.off('exit', onExit);
      if ('error' in reply) reject(new Error(`bench child: ${String((reply as { error: unknown }).error)}`));
      else resolve(reply);
    };
    const onExit = (code: number | null) => {
      proc.off('message', onMessage);
      reject(new Error(`bench child exited (${code})`));
    };
    proc.once('message', onMessage);
    proc.once('exit', onExit);
    proc.send(command as object);
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
