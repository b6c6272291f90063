/**
 * One process of the fleet: many real gateways (src/app/gateway.ts) side by side, each with its
 * own id, data dir, SQLite file and device secret, and (for the baselines) as many plain MQTT
 * clients. Driven over IPC by fleetBench.ts:
 *
 *   {seed}      write each gateway's data dir (fleetSite.ts)
 *   {start}     start every gateway at once; reply when all are connected
 *   {append}    journal N events on every gateway at once; reply when every one has its ack
 *   {reconnects} reply with each gateway's delay from losing the broker to being connected again
 *   {cpu}       reply with this process's CPU time so far (user + system) and the time its event
 *               loop was busy (CPU plus waits inside synchronous calls: SQLite's fsync), to split
 *               a phase's cost
 *   {echo}      connect one plain client per gateway id; each answers a `fleetbase/<id>/down/delta`
 *               on `fleetbase/<id>/up/apply_ack` (the broker's own round trip)
 *   {burst}     each plain client publishes one message of N bytes; reply when each has its answer
 *   {stop}
 */
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { SystemClock } from '../../src/kernel/clock.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { Gateway } from '../../src/app/gateway.js';
import { fleetGatewayConfig, type FleetCloudAccess } from './fleetGatewayConfig.js';
import { seedGatewayDir } from './fleetSite.js';

export const BASELINE_PREFIX = 'fleetbase';

export type FleetWorkerCommand =
  | { seed: { ids: string[]; dir: string } }
  | { start: { ids: string[]; dir: string; cloud: FleetCloudAccess } }
  | { append: { events: number } }
  | { reconnects: true }
  | { cpu: true }
  | { echo: { ids: string[]; url: string } }
  | { burst: { bytes: number } }
  | { stop: true };

export type FleetWorkerReply =
  | { seeded: { ms: number } }
  | { started: { ms: number; rssMb: number } }
  | { appended: { appendMs: number } }
  | { reconnected: { delaysMs: number[] } }
  | { cpuMs: number; loopBusyMs: number }
  | { echoing: { ms: number } }
  | { burstDone: true }
  | { stopped: true }
  | { error: string };

const clock = new SystemClock();
const logger = pino({ level: process.env.LOCKGW_BENCH_LOG ?? 'silent' }, pino.destination(2));
const gateways: Gateway[] = [];
const echoes: Array<{ id: string; client: MqttClient }> = [];
/** per gateway: when it lost the broker last, and how long it took to be connected again */
const lostAt = new Map<Gateway, number>();
const reconnectDelays: number[] = [];
/** called for each answer to a burst message */
let onBurstAnswer: () => void = () => undefined;

const send = (reply: FleetWorkerReply) => process.send!(reply);

function connected(g: Gateway): Promise<void> {
  const link = g.cloud!;
  if (link.status().connection?.state === 'connected') return Promise.resolve();
  return new Promise((resolve) => link.once('connected', () => resolve()));
}

/**
 * Resolves when this gateway is back after losing the broker: its delay is recorded by the
 * `connected` listener registered at start, which runs before this one. (The connection's state
 * reads `connected` a moment before the link emits `connected`, so the state alone is not enough.)
 */
function backFromLoss(g: Gateway): Promise<void> {
  if (!lostAt.has(g)) return Promise.resolve();
  return new Promise((resolve) => g.cloud!.once('connected', () => resolve()));
}

/** Resolves when this gateway's upload queue is empty (every event acknowledged and deleted). */
function drained(g: Gateway): Promise<void> {
  if (g.journal.stats().count === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const onAcked = () => {
      if (g.journal.stats().count !== 0) return;
      g.cloud!.off('acked', onAcked);
      resolve();
    };
    g.cloud!.on('acked', onAcked);
  });
}

async function onCommand(command: FleetWorkerCommand): Promise<void> {
  if ('seed' in command) {
    const t = performance.now();
    for (const id of command.seed.ids) seedGatewayDir(join(command.seed.dir, id));
    send({ seeded: { ms: performance.now() - t } });
    return;
  }
  if ('start' in command) {
    const { ids, dir, cloud } = command.start;
    const t = performance.now();
    for (const id of ids) gateways.push(new Gateway(parseConfig(fleetGatewayConfig(id, join(dir, id), cloud)), { clock, logger }));
    await Promise.all(gateways.map((g) => g.start()));
    await Promise.all(gateways.map(connected));
    for (const g of gateways) {
      g.cloud!.on('disconnected', () => lostAt.set(g, performance.now()));
      g.cloud!.on('connected', () => {
        const at = lostAt.get(g);
        if (at !== undefined) reconnectDelays.push(performance.now() - at);
        lostAt.delete(g);
      });
    }
    send({ started: { ms: performance.now() - t, rssMb: process.memoryUsage().rss / 1e6 } });
    return;
  }
  if ('append' in command) {
    const t = performance.now();
    const now = clock.now();
    for (const [i, g] of gateways.entries()) {
      for (let n = 0; n < command.append.events; n++) {
        g.journal.append({ type: 'access', at: now + n, doorId: 'lobby', grant: n % 3 !== 0, reason: n % 3 !== 0 ? 'granted' : 'outside_schedule', personId: 'alice', credentialId: `c-${i}-${n}`, data: { kind: 'card', revision: 1 } });
      }
      g.journal.flush();
    }
    const appendMs = performance.now() - t;
    await Promise.all(gateways.map(drained));
    send({ appended: { appendMs } });
    return;
  }
  if ('reconnects' in command) {
    await Promise.all(gateways.map(connected));
    await Promise.all(gateways.map(backFromLoss));
    send({ reconnected: { delaysMs: reconnectDelays.splice(0) } });
    return;
  }
  if ('cpu' in command) {
    const { user, system } = process.cpuUsage();
    send({ cpuMs: (user + system) / 1000, loopBusyMs: performance.eventLoopUtilization().active });
    return;
  }
  if ('echo' in command) {
    const t = performance.now();
    const { ids, url } = command.echo;
    await Promise.all(ids.map(async (id) => {
      const client = await mqtt.connectAsync(url, { protocolVersion: 5, clientId: `${BASELINE_PREFIX}-${id}`, clean: true, reconnectPeriod: 0 });
      echoes.push({ id, client });
      client.on('message', (topic, payload) => {
        if (topic.endsWith('/down/delta')) client.publish(`${BASELINE_PREFIX}/${id}/up/apply_ack`, payload.subarray(0, 160), { qos: 1 });
        else onBurstAnswer();
      });
      await client.subscribeAsync([`${BASELINE_PREFIX}/${id}/down/delta`, `${BASELINE_PREFIX}/${id}/down/events_ack`], { qos: 1 });
    }));
    send({ echoing: { ms: performance.now() - t } });
    return;
  }
  if ('burst' in command) {
    const payload = Buffer.alloc(command.burst.bytes, 0x61);
    const answered = new Promise<void>((resolve) => {
      let left = echoes.length;
      onBurstAnswer = () => {
        left -= 1;
        if (left === 0) resolve();
      };
    });
    for (const { id, client } of echoes) client.publish(`${BASELINE_PREFIX}/${id}/up/events`, payload, { qos: 1 });
    await answered;
    send({ burstDone: true });
    return;
  }
  if ('stop' in command) {
    await Promise.all(echoes.splice(0).map((e) => e.client.endAsync(true)));
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    send({ stopped: true });
  }
}

process.on('message', (command: FleetWorkerCommand) => {
  onCommand(command).catch((err: unknown) => send({ error: (err as Error).stack ?? String(err) }));
});
process.on('disconnect', () => {
  void Promise.all([...echoes.map((e) => e.client.endAsync(true)), ...gateways.map((g) => g.stop())]).finally(() => process.exit(0));
});
