/**
 * Heartbeats stop: the gateway journals sync_stale once per episode and asks the cloud for what is
 * new (`sync_request` with reason `stale`) when the episode begins and again every
 * `cloud.sync.requestRetryMs` while it lasts (docs/mqtt.md, Heartbeat and sync requests). A real
 * gateway (SQLite, doors on simulated devices), a fake cloud, a real Mosquitto; the gateway runs on
 * a ManualClock.
 */
import t from 'tap';
import type { CommandResponse, SyncRequest } from '../../src/wire/messages.js';
import { cloudGateway, until, type FakeCloud } from '../support/cloudHarness.js';
import { testBrokerSupport } from '../support/mosquitto.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;
const STALE_AFTER = 30_000;
const RETRY = 60_000;

/** Resolves once the gateway answered a status command sent now: every message it published before is in (one connection, in order). */
async function handled(cloud: FakeCloud, correlationId: string): Promise<void> {
  const answered = until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === correlationId);
  await cloud.send('command', { correlationId, name: 'status' }, { ttlMs: 60_000 });
  await answered;
}

t.test('heartbeats stop: sync_request reason stale at once (even right after the startup request) and every requestRetryMs while stale', { skip, timeout: 30_000 }, async (t) => {
  const { f, cloud, clock, startup } = await cloudGateway(t, { sync: { staleAfterMs: STALE_AFTER, requestRetryMs: RETRY } });
  t.match(await startup, { reason: 'startup', want: { kind: 'snapshot' } }, 'never synced: the startup request asks for a snapshot, and the cloud does not answer');
  const applied = f.gateway.applied();
  const stale: SyncRequest[] = [];
  cloud.emitter.on('sync_request', (r: SyncRequest) => {
    if (r.reason === 'stale') stale.push(r);
  });
  const staleCount = (n: number) => until<SyncRequest>(cloud.emitter, 'sync_request', () => stale.length >= n);
  const heartbeat = async (id: string) => {
    clock.set(f.clock.now());
    await cloud.send('heartbeat', { revision: applied.revision, hash: applied.hash, time: clock.now() });
    await handled(cloud, id);
  };
  await heartbeat('hb-1');
  t.equal(f.gateway.cloud!.status().heartbeat?.lastHeartbeatAt, f.clock.now(), 'the heartbeat was accepted');

  f.clock.advance(STALE_AFTER - 1);
  await handled(cloud, 'before-stale');
  t.equal(stale.length, 0, 'not stale yet');
  let next = staleCount(1);
  f.clock.advance(1);
  await next;
  t.match(stale[0], { reason: 'stale', revision: applied.revision, hash: applied.hash, want: { kind: 'snapshot' } },
    'sent although the startup request asked for the same thing less than requestRetryMs ago');
  t.equal(f.gateway.cloud!.status().heartbeat?.stale, true);

  for (let n = 2; n <= 4; n++) {
    f.clock.advance(RETRY - 1);
    await handled(cloud, `between-${n}`);
    t.equal(stale.length, n - 1, `no re-send before requestRetryMs (${n - 1} so far)`);
    next = staleCount(n);
    f.clock.advance(1);
    await next;
  }
  t.equal(new Set(stale.map((r) => r.transaction)).size, 4, 'each request has its own transaction id');
  const journaled = [...f.gateway.journal.read(0, 10_000), ...cloud.received.events.flatMap((b) => b.events)];
  const alarms = new Set(journaled.filter((e) => e.type === 'alarm' && e.reason === 'sync_stale').map((e) => e.seq));
  t.equal(alarms.size, 1, 'one sync_stale alarm for the episode');

  await heartbeat('hb-2');
  t.equal(f.gateway.cloud!.status().heartbeat?.stale, false, 'a heartbeat ends the episode');
  f.clock.advance(STALE_AFTER - 1);
  await handled(cloud, 'after-fresh');
  t.equal(stale.length, 4, 'no stale requests once heartbeats are back');
});
