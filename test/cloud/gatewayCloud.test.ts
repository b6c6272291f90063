import t from 'tap';
import { broker, fakeCloud, GW, ISSUER, testKey, until } from '../support/cloudHarness.js';
import { gatewayFixture } from '../support/gatewayFixture.js';

t.test('a door grant reaches the cloud and leaves the journal only after the signed ack', async (t) => {
  const b = await broker(t);
  const key = testKey();
  const f = await gatewayFixture(t, {
    gateway: { id: GW },
    cloud: { enabled: true, url: b.url, keys: [{ kid: key.kid, pem: key.publicPem }], issuer: ISSUER, upload: { pollMs: 100 } },
  });
  const cloud = await fakeCloud(t, b, key, f.clock, 'auto');
  const link = f.gateway.cloud!;
  if (link.status().connection?.state !== 'connected') await until(link, 'connected');
  f.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'unlocked', 'the door did not wait for the cloud');
  const acked = until(link, 'acked');
  f.clock.advance(100); // the uploader's poll
  await acked;
  const events = cloud.batches.flatMap((batch) => batch.events);
  t.match(events.find((e) => e.type === 'access'), { doorId: 'lobby', grant: true, reason: 'granted', personId: 'alice' });
  t.equal(f.gateway.journal.stats().count, 0, 'acknowledged events leave the upload queue');
  t.match(f.gateway.journal.query({ doorId: 'lobby', personId: 'alice', limit: 10 }), [{ type: 'access', grant: true, reason: 'granted' }], 'and stay in the local history');
  t.notOk(JSON.stringify(cloud.batches).includes('34567'), 'no card number travels to the cloud');
});

t.test('without a broker the gateway starts and its doors work', async (t) => {
  const key = testKey();
  const f = await gatewayFixture(t, { gateway: { id: GW }, cloud: { enabled: true, url: 'mqtt://127.0.0.1:1', keys: [{ kid: key.kid, pem: key.publicPem }] } });
  f.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'unlocked');
  t.equal(f.gateway.journal.stats().count + f.gateway.journal.stats().pending > 0, true, 'the event waits in the journal');
});
