/**
 * Oversize messages through a real Mosquitto: packets over MAX_PACKET_BYTES never reach the
 * gateway (MQTT 5: the broker drops them; MQTT 3.1.1: the gateway closes the connection at the
 * packet's header), and an oversize command is answered once (too_large), or, when its id cannot
 * be read, reported as a security event and counted.
 */
import t from 'tap';
import { signEnvelope } from '../../src/wire/signedEnvelope.js';
import { MAX_PACKET_BYTES } from '../../src/cloud/packetLimit.js';
import type { CommandResponse, SecurityEvent } from '../../src/wire/messages.js';
import { testBrokerSupport } from '../support/mosquitto.js';
import { broker, cloudGateway, fakeCloud, gatewaySide, GW, ISSUER, testKey, until } from '../support/cloudHarness.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;
const COMMAND = `lockgw/${GW}/down/command`;
const tooBig = Buffer.alloc(MAX_PACKET_BYTES + 1024, 0x41);

for (const protocolVersion of [5, 4] as const) {
  t.test(`MQTT ${protocolVersion}: a publish over the maximum packet size never reaches the gateway; traffic goes on`, { skip, timeout: 60_000 }, async (t) => {
    const b = await broker(t);
    const key = testKey();
    const gw = await gatewaySide(t, b, key, { cloud: { protocolVersion }, random: () => 0 });
    const cloud = await fakeCloud(t, b, key, gw.clock);
    const received: number[] = [];
    await gw.link.start();
    await until(gw.link, 'connected');
    const connection = gw.link.connection!;
    connection.on('message', (m) => received.push(m.payload.length));
    const small = until<{ payload: Buffer }>(connection, 'message', (m) => m.payload.toString() === 'after');
    const oversize = protocolVersion === 4 ? until(connection, 'oversize') : null;
    // QoS 0: over 3.1.1 a QoS 1 one would come back on every reconnect of the session (docs/mqtt.md)
    await cloud.client.publishAsync(COMMAND, tooBig, { qos: 0 });
    if (oversize !== null) {
      t.match(await oversize, { bytes: tooBig.length + COMMAND.length + 2 + 5, maxBytes: MAX_PACKET_BYTES }, 'seen at its header');
      await until(gw.link, 'connected');
    }
    await cloud.client.publishAsync(COMMAND, 'after', { qos: 1 });
    await small;
    t.same(received, [5], 'only the small message was received');
    // under load the 3.1.1 count was seen above 1 (cause not yet found; see the report of branch packets)
    if (protocolVersion === 5) t.equal(connection.status().oversizePackets, 0, 'the broker honoured maximumPacketSize');
    else t.ok(connection.status().oversizePackets >= 1, 'the guard closed the connection');
  });
}

t.test('an oversize command is answered once with result too_large when its correlationId can be read, else it is a security event', { skip, timeout: 60_000 }, async (t) => {
  const { f, cloud, key, link, startup } = await cloudGateway(t);
  await startup;
  const responses: CommandResponse[] = [];
  cloud.emitter.on('command_response', (r: CommandResponse) => responses.push(r));
  const sign = (msg: unknown) => signEnvelope(msg, { kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: GW, type: 'command', now: f.clock.now(), ttlMs: 60_000 });
  const pad = 'x'.repeat(100 * 1024);

  // its correlationId comes after 100 KiB: it cannot be read, so it cannot be answered
  const reported = until<SecurityEvent>(cloud.emitter, 'security_event');
  await cloud.client.publishAsync(COMMAND, sign({ pad, correlationId: 'cmd-hidden', name: 'status' }), { qos: 1 });
  t.match(await reported, { reason: 'too_large', topic: COMMAND, detail: /no correlationId could be read from its start: not answered/ });

  const answered = until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === 'cmd-big');
  await cloud.client.publishAsync(COMMAND, sign({ correlationId: 'cmd-big', name: 'unlock', doorId: 'lobby', seconds: 5, pad }), { qos: 1 });
  t.match(await answered, { result: 'too_large', data: { maxBytes: 64 * 1024, verified: false } });
  t.ok((await answered).data!.bytes as number > 100 * 1024, 'its size in data.bytes');
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'locked', 'not executed');

  const after = until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === 'cmd-after');
  await cloud.send('command', { correlationId: 'cmd-after', name: 'unlock', doorId: 'lobby', seconds: 5 }, { ttlMs: 60_000 });
  t.match(await after, { result: 'ok' });
  t.same(responses.map((r) => r.correlationId), ['cmd-big', 'cmd-after'], 'each readable one answered once; the unreadable one not at all');
  t.equal(link.status().unansweredCommands, 1, 'counted');
  t.equal(link.status().security.byReason.too_large, 2, 'both are too_large security events (the second folded into the 10 s window)');

  // the too_large answer is not remembered: a verified command with that id still runs
  const real = until<CommandResponse>(cloud.emitter, 'command_response', (r) => r.correlationId === 'cmd-big' && r.result !== 'too_large');
  await cloud.send('command', { correlationId: 'cmd-big', name: 'status' }, { ttlMs: 60_000 });
  t.match(await real, { result: 'ok' });
});
