/**
 * A signed command captured on the wire and published again after the gateway restarted on the
 * same data dir is not executed again: a real gateway, a real Mosquitto, a real SQLite file.
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { CommandResponse } from '../../src/wire/messages.js';
import { signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { Gateway } from '../../src/app/gateway.js';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { loggerOptions } from '../../src/kernel/logger.js';
import { cloudGateway, GW, ISSUER, until } from '../support/cloudHarness.js';

t.test('a signed unlock replayed after a restart is answered duplicate and opens nothing', async (t) => {
  const { f, cloud, key, b, startup } = await cloudGateway(t);
  await startup;
  const response = (id: string) => until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === id);
  const token = signCloudMessage('command', { correlationId: 'cmd-once', name: 'unlock', doorId: 'lobby', seconds: 8 }, {
    kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: GW, now: f.clock.now(), ttlMs: 60_000,
  });
  let answer = response('cmd-once');
  await cloud.client.publishAsync(`lockgw/${GW}/down/command`, token, { qos: 1 });
  t.match(await answer, { result: 'ok' });
  f.clock.advance(8000);
  const grants = (g: Gateway) => g.journal.read(0, 10_000).filter((e) => e.type === 'access' && e.reason === 'remote_unlock').length;
  t.equal(grants(f.gateway), 1, 'journaled once');
  await f.gateway.stop();

  const logs: string[] = [];
  const logger = pino(loggerOptions('debug'), new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done(); } }));
  const config = parseConfig({
    gateway: { id: GW, dataDir: f.dataDir },
    cloud: { enabled: true, url: b.url, keys: [{ kid: key.kid, pem: key.publicPem }], issuer: ISSUER },
  });
  const restarted = new Gateway(config, { clock: f.clock, logger });
  const reconnected = until(cloud.emitter, 'sync_request');
  await restarted.start();
  t.teardown(() => restarted.stop());
  await reconnected;
  const lobby = restarted.simulated!.doors.get('lobby')!;

  answer = response('cmd-once');
  await cloud.client.publishAsync(`lockgw/${GW}/down/command`, token, { qos: 1 });
  t.match(await answer, { result: 'duplicate', data: { originalResult: 'ok' } }, 'the same answer as before the restart');
  t.equal(lobby.actuator.state(), 'locked', 'not executed again');
  t.notOk(logs.some((l) => l.includes('remote_unlock') || (l.includes('"result":"ok"') && l.includes('cmd-once'))), 'no second remote unlock logged');
  t.ok(logs.some((l) => l.includes('replay memory loaded') && l.includes('"remembered":2')), 'both keys read back');
});
