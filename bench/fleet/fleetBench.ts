/**
 * `fleet`: 1,000 × scale real gateways (at least 5) in a few worker processes (fleetWorker.ts)
 * on one Mosquitto with a fleet's limits, and one cloud for all of them in this process
 * (fleetCloud.ts). In order:
 *
 * - the connection storm: every gateway started at once, until all are connected;
 * - revocation: one card reported lost, as a signed delta to every gateway (one message each),
 *   from the first publish to each gateway's apply_ack (p50/p99/max);
 * - uploads: every gateway journals 100 events at once and uploads them; from the append to the
 *   last gateway holding its events_ack;
 * - the baselines, the broker alone with the same number of plain clients: connecting; the same
 *   fan-out (a message of the delta's size to each, echoed back); the same upload (one message
 *   of an event batch's size from each, answered with one of an events_ack's size);
 * - a broker restart: how the gateways come back (the reconnect backoff's full jitter).
 *
 * Revocation and uploads also report the CPU time they cost the gateways (per gateway, over the
 * worker processes) and the cloud (this process): on this machine a thousand gateways share a
 * few cores, so their wall clock is queueing for a core; in a real fleet each has its own.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { SystemClock } from '../../src/kernel/clock.js';
import { signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { cloudPayload } from '../../src/wire/compressedPayload.js';
import { generateSigningKeyPair } from '../../src/wire/keys.js';
import { startTestBroker } from '../../test/support/mosquitto.js';
import { emit, note } from '../report.js';
import { percentile, summarize } from '../stats.js';
import { FleetCloud } from './fleetCloud.js';
import { revocation } from './fleetSite.js';
import { BASELINE_PREFIX, type FleetWorkerCommand, type FleetWorkerReply } from './fleetWorker.js';

const ISSUER = 'fleet-cloud';
const EVENTS_PER_GATEWAY = 100;
/** worker processes the gateways are spread over (LOCKGW_BENCH_FLEET_PROCESSES) */
const PROCESSES = Number(process.env.LOCKGW_BENCH_FLEET_PROCESSES ?? 2);
const LIMIT_MS = 300_000;

/**
 * What a fleet broker raises (docs/fleet.md): no connection limit; the broker's inflight window
 * per client (default 20) and its queue per client (default 1,000, beyond which QoS 1 messages are
 * dropped) sized for the cloud's one client taking a message from every gateway at once.
 */
export const FLEET_BROKER_LIMITS = ['max_connections -1', 'max_inflight_messages 1000', 'max_queued_messages 100000', 'set_tcp_nodelay true'] as const;

export async function runFleetBench(dir: string, scale: number): Promise<void> {
  const count = Math.max(5, Math.round(1000 * scale));
  const teardowns: Array<() => unknown> = [];
  const owner = { teardown: (fn: () => unknown) => void teardowns.push(fn) };
  try {
    const started = await startTestBroker(owner, { extraConfig: FLEET_BROKER_LIMITS });
    if (!started.available || started.broker.kind !== 'mosquitto') {
      note(`fleet: skipped, no mosquitto binary (${started.available ? 'only aedes' : started.reason})`);
      return;
    }
    const broker = started.broker;
    const ids = Array.from({ length: count }, (_, i) => `gw-fleet-${String(i + 1).padStart(4, '0')}`);
    const processes = Math.max(1, Math.min(PROCESSES, count));
    const shares = Array.from({ length: processes }, (_, p) => ids.filter((_, i) => i % processes === p));
    const workers = shares.map(() => {
      const proc = fork(fileURLToPath(new URL('./fleetWorker.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      teardowns.push(() => { if (proc.exitCode === null && proc.connected) proc.disconnect(); });
      return proc;
    });
    const all = (command: (share: string[]) => FleetWorkerCommand) => Promise.all(workers.map((w, p) => withTimeout(request(w, command(shares[p]!)), LIMIT_MS, `fleet worker ${p}`)));
    const gatewaysDir = join(dir, 'fleet');
    await all((share) => ({ seed: { ids: share, dir: gatewaysDir } }));

    const key = generateSigningKeyPair('fleet-cloud');
    const clock = new SystemClock();
    const cloud = new FleetCloud({ url: broker.url, issuer: ISSUER, key, gatewayIds: ids, stateDir: join(dir, 'fleet-cloud'), clock, logger: pino({ level: 'silent' }) });
    await cloud.start();
    teardowns.push(() => cloud.stop());
    const problems: string[] = [];
    cloud.on('problem', (p) => problems.push(`${p.gatewayId ?? '?'}: ${p.detail}`));
    const requests = new Map<string, number>();
    cloud.on('sync_request', ({ request }) => requests.set(request.reason, (requests.get(request.reason) ?? 0) + 1));

    // the connection storm
    let t0 = performance.now();
    const startReplies = await all((share) => ({ start: { ids: share, dir: gatewaysDir, cloud: { url: broker.url, issuer: ISSUER, kid: key.kid, publicPem: key.publicPem } } }));
    const connectAllS = (performance.now() - t0) / 1000;
    const rssMb = startReplies.reduce((sum, r) => sum + ('started' in r ? r.started.rssMb : 0), 0);
    note(`fleet: ${count} gateways in ${processes} processes started and connected in ${connectAllS.toFixed(2)} s; the processes' RSS ${rssMb.toFixed(0)} MB (${(rssMb / count).toFixed(1)} MB a gateway)`);

    // revocation: one delta for each gateway, publish → every apply_ack
    // CPU time: of the gateways' worker processes (all gateways of the fleet) and of this process
    // (the cloud): what a phase costs each side, apart from the wall clock that this machine's
    // few cores stretch when a thousand gateways share them
    const workersCpuMs = async () => {
      const replies = await all(() => ({ cpu: true }));
      const sum = (pick: (r: { cpuMs: number; loopBusyMs: number }) => number) => replies.reduce((total, r) => total + ('cpuMs' in r ? pick(r) : 0), 0);
      return { cpu: sum((r) => r.cpuMs), busy: sum((r) => r.loopBusyMs) };
    };
    const cloudCpuMs = () => { const { user, system } = process.cpuUsage(); return (user + system) / 1000; };

    const change = cloud.change(revocation());
    const ackedAt = new Map<string, number>();
    let hashMismatches = 0;
    const allAcked = new Promise<void>((resolve) => {
      cloud.on('apply_ack', ({ gatewayId, ack }) => {
        if (ack.revision !== change.toVersion || ackedAt.has(gatewayId)) return;
        if (ack.hash !== change.hash) hashMismatches += 1;
        ackedAt.set(gatewayId, performance.now());
        if (ackedAt.size === count) resolve();
      });
    });
    let gatewaysCpu0 = await workersCpuMs();
    let cloudCpu0 = cloudCpuMs();
    t0 = performance.now();
    await cloud.publishDelta(change, ids);
    const publishS = (performance.now() - t0) / 1000;
    await withTimeout(allAcked, LIMIT_MS, () => `only ${ackedAt.size} of ${count} gateways acknowledged the revocation`);
    const revocation_ = summarize(Float64Array.from([...ackedAt.values()], (at) => (at - t0) / 1000));
    const revocationCloudCpuS = (cloudCpuMs() - cloudCpu0) / 1000;
    let gatewaysCpu1 = await workersCpuMs();
    const revocationGatewayCpuMs = (gatewaysCpu1.cpu - gatewaysCpu0.cpu) / count;
    const revocationGatewayBusyMs = (gatewaysCpu1.busy - gatewaysCpu0.busy) / count;
    note(`fleet: revocation to ${count} gateways published in ${publishS.toFixed(2)} s; apply_ack p50 ${revocation_.p50.toFixed(3)} s, p99 ${revocation_.p99.toFixed(3)} s, max ${revocation_.max.toFixed(3)} s; ${hashMismatches} hash mismatches; CPU ${revocationGatewayCpuMs.toFixed(1)} ms a gateway (its process's loop busy ${revocationGatewayBusyMs.toFixed(1)} ms a gateway), ${revocationCloudCpuS.toFixed(2)} s the cloud (${cpus().length} cores here)`);

    // uploads: every gateway journals EVENTS_PER_GATEWAY events at once
    let batchBytes = 0;
    let batches = 0;
    cloud.on('events', ({ bytes }) => { batchBytes += bytes; batches += 1; });
    gatewaysCpu0 = await workersCpuMs();
    cloudCpu0 = cloudCpuMs();
    t0 = performance.now();
    const appended = await all(() => ({ append: { events: EVENTS_PER_GATEWAY } }));
    const uploadS = (performance.now() - t0) / 1000;
    const uploadCloudCpuS = (cloudCpuMs() - cloudCpu0) / 1000;
    gatewaysCpu1 = await workersCpuMs();
    const uploadGatewayCpuMs = (gatewaysCpu1.cpu - gatewaysCpu0.cpu) / count;
    const uploadGatewayBusyMs = (gatewaysCpu1.busy - gatewaysCpu0.busy) / count;
    const appendS = Math.max(...appended.map((r) => ('appended' in r ? r.appended.appendMs / 1000 : 0)));
    const events = count * EVENTS_PER_GATEWAY;
    const meanBatchBytes = Math.round(batchBytes / Math.max(1, batches));
    note(`fleet: ${events.toLocaleString('en-US')} events (${EVENTS_PER_GATEWAY} on each gateway, journaled in ${appendS.toFixed(2)} s) uploaded in ${batches} batches of ${meanBatchBytes} bytes on average, all acknowledged after ${uploadS.toFixed(2)} s; CPU ${uploadGatewayCpuMs.toFixed(1)} ms a gateway (journaling included; loop busy ${uploadGatewayBusyMs.toFixed(1)} ms), ${uploadCloudCpuS.toFixed(2)} s the cloud`);

    // the baselines: the broker alone, the same number of plain clients
    const baseCloud = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'fleet-baseline-cloud', clean: true, reconnectPeriod: 0 });
    teardowns.push(() => baseCloud.endAsync(true));
    await baseCloud.subscribeAsync(`${BASELINE_PREFIX}/+/up/+`, { qos: 1 });
    const ackToken = signCloudMessage('events_ack', { journalId: 'j'.repeat(36), uptoSeq: 100_000 }, { kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: ids[0]!, now: Date.now(), ttlMs: 3_600_000 });
    const echoedAt = new Map<string, number>();
    let onEcho = () => undefined as void;
    baseCloud.on('message', (topic) => {
      const [, id, , type] = topic.split('/');
      if (type === 'apply_ack') {
        if (!echoedAt.has(id!)) echoedAt.set(id!, performance.now());
        onEcho();
      } else if (type === 'events') baseCloud.publish(`${BASELINE_PREFIX}/${id}/down/events_ack`, ackToken, { qos: 1 });
    });
    t0 = performance.now();
    await all((share) => ({ echo: { ids: share, url: broker.url } }));
    const baseConnectS = (performance.now() - t0) / 1000;
    const deltaToken = signCloudMessage('delta', { fromVersion: change.fromVersion, toVersion: change.toVersion, hash: change.hash, operations: change.operations as never }, { kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: ids[0]!, now: Date.now(), ttlMs: 3_600_000 });
    const deltaPayload = cloudPayload('delta', deltaToken);
    const echoed = new Promise<void>((resolve) => { onEcho = () => { if (echoedAt.size === count) resolve(); }; });
    t0 = performance.now();
    await Promise.all(ids.map((id) => baseCloud.publishAsync(`${BASELINE_PREFIX}/${id}/down/delta`, deltaPayload, { qos: 1 })));
    await withTimeout(echoed, LIMIT_MS, () => `only ${echoedAt.size} of ${count} plain clients echoed`);
    const roundTrip = summarize(Float64Array.from([...echoedAt.values()], (at) => (at - t0) / 1000));
    t0 = performance.now();
    await all(() => ({ burst: { bytes: meanBatchBytes } }));
    const burstS = (performance.now() - t0) / 1000;
    note(`fleet baseline: ${count} plain clients connected in ${baseConnectS.toFixed(2)} s; a ${deltaPayload.length}-byte message to each, echoed: p50 ${roundTrip.p50.toFixed(3)} s, p99 ${roundTrip.p99.toFixed(3)} s; one ${meanBatchBytes}-byte message from each, answered with ${ackToken.length} bytes: ${burstS.toFixed(2)} s`);
    await baseCloud.endAsync(true);

    // a broker restart: the gateways come back spread by the backoff's jitter
    t0 = performance.now();
    await broker.restart();
    const restartS = (performance.now() - t0) / 1000;
    const reconnects = await all(() => ({ reconnects: true }));
    const reconnectAllS = (performance.now() - t0) / 1000;
    const delaySamples = Float64Array.from(reconnects.flatMap((r) => ('reconnected' in r ? r.reconnected.delaysMs : [])), (ms) => ms / 1000);
    const delays = summarize(delaySamples);
    const delayP10 = percentile(delaySamples, 10); // sorted by summarize
    note(`fleet: broker restarted in ${restartS.toFixed(2)} s; ${delays.count} gateways reconnected, from losing the broker: p10 ${delayP10.toFixed(2)} s, p50 ${delays.p50.toFixed(2)} s, p90 ${delays.p90.toFixed(2)} s, max ${delays.max.toFixed(2)} s (all back ${reconnectAllS.toFixed(2)} s after the restart began)`);
    note(`fleet: sync requests ${JSON.stringify(Object.fromEntries(requests))}; ${problems.length} problems${problems.length > 0 ? `, the first: ${problems[0]}` : ''}`);

    const full = scale >= 1;
    const metric = (name: string, value: number, unit: string, target: number | null, better: 'lower' | 'higher' = 'lower') => emit({ bench: 'fleet', metric: name, value, unit, target, better });
    metric('gateways', count, 'gateways', null, 'higher');
    metric('revocation_p50_s', revocation_.p50, 's', null);
    metric('revocation_p99_s', revocation_.p99, 's', full ? 1 : null);
    metric('revocation_max_s', revocation_.max, 's', null);
    metric('revocation_publish_s', publishS, 's', null);
    metric('revocation_gateway_cpu_ms', revocationGatewayCpuMs, 'ms', null);
    metric('revocation_gateway_loop_busy_ms', revocationGatewayBusyMs, 'ms', null);
    metric('revocation_cloud_cpu_s', revocationCloudCpuS, 's', null);
    metric('baseline_roundtrip_p50_s', roundTrip.p50, 's', null);
    metric('baseline_roundtrip_p99_s', roundTrip.p99, 's', null);
    metric('baseline_roundtrip_max_s', roundTrip.max, 's', null);
    metric('events_per_s', events / uploadS, 'events/s', full ? 50_000 : null, 'higher');
    metric('baseline_events_per_s', events / burstS, 'events/s', null, 'higher');
    metric('upload_gateway_cpu_ms', uploadGatewayCpuMs, 'ms', null);
    metric('upload_gateway_loop_busy_ms', uploadGatewayBusyMs, 'ms', null);
    metric('upload_cloud_cpu_s', uploadCloudCpuS, 's', null);
    metric('connect_all_s', connectAllS, 's', null);
    metric('baseline_connect_all_s', baseConnectS, 's', null);
    metric('rss_mb_per_gateway', rssMb / count, 'MB', null);
    metric('reconnect_p10_s', delayP10, 's', null, 'higher');
    metric('reconnect_p90_s', delays.p90, 's', null);
    metric('reconnect_all_s', reconnectAllS, 's', null);
    if (hashMismatches > 0 || problems.length > 0) throw new Error(`fleet: ${hashMismatches} hash mismatches, ${problems.length} problems`);
    await all(() => ({ stop: true }));
  } finally {
    for (const fn of teardowns.reverse()) await fn();
  }
}

/** Sends a command to a worker and resolves with its next reply (an {error} reply rejects). */
function request(proc: ChildProcess, command: FleetWorkerCommand): Promise<FleetWorkerReply> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: FleetWorkerReply) => {
      proc.off('exit', onExit);
      if ('error' in reply) reject(new Error(`fleet worker: ${reply.error}`));
      else resolve(reply);
    };
    const onExit = (code: number | null) => {
      proc.off('message', onMessage);
      reject(new Error(`fleet worker exited (${code})`));
    };
    proc.once('message', onMessage);
    proc.once('exit', onExit);
    proc.send(command);
  });
}

/** A bench that waits on the fleet must not hang: fail with what is known. */
function withTimeout<T>(promise: Promise<T>, ms: number, why: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(typeof why === 'string' ? `${why}: no answer within ${ms / 1000} s` : why())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
