/**
 * Commands, heartbeat and door status end to end: a real gateway on simulated doors and a fake
 * cloud, through a real Mosquitto.
 */
import t, { type Test } from 'tap';
import type { CloudConfigInput } from '../../src/cloud/cloudConfig.js';
import type { CommandResponse, DoorStatusMessage, SyncRequest } from '../../src/wire/messages.js';
import { signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { cloudGateway, GW, ISSUER, until } from '../support/cloudHarness.js';

async function connected(t: Test, cloudConfig: Partial<CloudConfigInput> = {}) {
  const g = await cloudGateway(t, cloudConfig);
  await g.startup;
  return g;
}

const response = (cloud: Awaited<ReturnType<typeof connected>>['cloud'], correlationId: string | null) =>
  until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === correlationId);

t.test('unlock for N seconds; the same command again is a duplicate; unknown doors and retained commands are refused', async (t) => {
  const { f, cloud, key } = await connected(t);
  const lobby = f.gateway.simulated!.doors.get('lobby')!;
  let answer = response(cloud, 'cmd-1');
  await cloud.send('command', { correlationId: 'cmd-1', name: 'unlock', doorId: 'lobby', seconds: 8 }, { ttlMs: 60_000 });
  t.match(await answer, { result: 'ok' });
  t.equal(lobby.actuator.state(), 'unlocked');
  f.clock.advance(8000);
  t.equal(lobby.actuator.state(), 'locked', 'relocked after 8 s');

  answer = response(cloud, 'cmd-1');
  await cloud.send('command', { correlationId: 'cmd-1', name: 'unlock', doorId: 'lobby', seconds: 8 }, { ttlMs: 60_000 });
  t.match(await answer, { result: 'duplicate', data: { originalResult: 'ok' } });
  t.equal(lobby.actuator.state(), 'locked', 'not executed twice');

  answer = response(cloud, 'cmd-2');
  await cloud.send('command', { correlationId: 'cmd-2', name: 'unlock', doorId: 'nowhere', seconds: 5 }, { ttlMs: 60_000 });
  t.match(await answer, { result: 'unknown_door' });

  // a retained command (e.g. left on the broker for months) never unlocks a door
  answer = response(cloud, 'cmd-3');
  const token = signCloudMessage('command', { correlationId: 'cmd-3', name: 'unlock', doorId: 'lobby', seconds: 5 }, {
    kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: GW, now: f.clock.now(), ttlMs: 60_000,
  });
  await cloud.client.publishAsync(`lockgw/${GW}/down/command`, token, { qos: 1, retain: true });
  t.match(await answer, { result: 'invalid', message: /retained/ });
  t.equal(lobby.actuator.state(), 'locked');
  await cloud.client.publishAsync(`lockgw/${GW}/down/command`, '', { qos: 1, retain: true });
});

t.test('an unsigned command is answered unauthorized, with the correlation id it claimed', async (t) => {
  const { f, cloud } = await connected(t);
  const answer = response(cloud, 'forged-1');
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(f.clock.now() / 1000);
  await cloud.publishRaw(`lockgw/${GW}/down/command`, `${enc({ alg: 'none', kid: 'test-cloud' })}.${enc({ iss: ISSUER, aud: GW, iat: now, exp: now + 60, jti: 'j', typ: 'command', msg: { correlationId: 'forged-1', name: 'unlock', doorId: 'lobby', seconds: 600 } })}.`);
  t.match(await answer, { result: 'unauthorized' });
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'locked');
});

t.test('lockdown of the site and one door, resync and status commands', async (t) => {
  const { f, cloud } = await connected(t);
  let answer = response(cloud, 'lock-site');
  await cloud.send('command', { correlationId: 'lock-site', name: 'lockdown', active: true, scope: 'site' });
  t.match(await answer, { result: 'ok' });
  t.equal(f.gateway.store.lockdown().site, true);
  t.equal(f.gateway.engine.evaluate({ doorId: 'lobby', kind: 'card', value: '26:12:34567' }).grant, false, 'lockdown: the resident card does not open');
  answer = response(cloud, 'unlock-site');
  await cloud.send('command', { correlationId: 'unlock-site', name: 'lockdown', active: false, scope: 'site' });
  await answer;
  answer = response(cloud, 'lock-gym');
  await cloud.send('command', { correlationId: 'lock-gym', name: 'lockdown', active: true, scope: 'door', doorId: 'gym' });
  t.match(await answer, { result: 'ok' });
  t.same(f.gateway.store.lockdown(), { site: false, doors: ['gym'] });

  const resync = until<SyncRequest>(cloud.emitter, 'sync_request', (r) => r.reason === 'resync_command');
  answer = response(cloud, 'resync-1');
  await cloud.send('command', { correlationId: 'resync-1', name: 'resync' });
  const [reply, request] = await Promise.all([answer, resync]);
  t.match(reply, { result: 'ok', data: { transaction: request.transaction } });
  t.match(request, { want: { kind: 'snapshot' } });

  answer = response(cloud, 'status-1');
  await cloud.send('command', { correlationId: 'status-1', name: 'status' });
  t.match(await answer, { result: 'ok', data: { revision: 0, hash: f.gateway.applied().hash, doors: [{ doorId: String }] } });
});

t.test('door status is published retained on connect and when a door changes', async (t) => {
  const { f, cloud } = await connected(t, { doorStatus: { pollMs: 100, minIntervalMs: 0 } });
  const seen = () => new Set(cloud.received.door_status.map((s) => s.doorId));
  if (seen().size < f.gateway.doors.status().length) {
    await new Promise<void>((resolve) => {
      const check = () => {
        if (seen().size >= f.gateway.doors.status().length) {
          cloud.emitter.off('door_status', check);
          resolve();
        }
      };
      cloud.emitter.on('door_status', check);
    });
  }
  t.same([...seen()].sort(), f.gateway.doors.status().map((d) => d.doorId).sort(), 'every door');
  const unlocked = until<DoorStatusMessage>(cloud.emitter, 'door_status', (s) => s.doorId === 'lobby' && s.actuator === 'unlocked');
  f.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  f.clock.advance(100);
  t.match(await unlocked, { doorId: 'lobby', actuator: 'unlocked', mode: 'normal' });
});

t.test('no heartbeat: sync_stale is raised, journaled and the gateway asks; a heartbeat ahead makes it ask for the gap', async (t) => {
  const { f, cloud } = await connected(t, { sync: { staleAfterMs: 60_000, requestRetryMs: 1000 } });
  const stale = until<SyncRequest>(cloud.emitter, 'sync_request', (r) => r.reason === 'stale');
  f.clock.advance(60_000);
  t.match(await stale, { reason: 'stale' });
  t.equal(f.gateway.cloud!.status().heartbeat?.stale, true);
  t.ok(f.gateway.journal.read(0, 1000).some((e) => e.type === 'alarm' && e.reason === 'sync_stale'), 'journaled');

  f.clock.advance(999); // within requestRetryMs of the stale request (staleHeartbeat.test.ts: its cadence)
  const gap = until<SyncRequest>(cloud.emitter, 'sync_request', (r) => r.reason === 'gap');
  await cloud.send('heartbeat', { revision: 7, time: f.clock.now() });
  t.match(await gap, { want: { kind: 'snapshot' } }, 'never synced: a snapshot, asked although the stale request just asked for one (another reason)');
  t.match(f.gateway.cloud!.status().heartbeat, { stale: false, cloudRevision: 7, behind: true, clock: { trust: 'trusted' } });
});
