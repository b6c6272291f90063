import { once } from 'node:events';
import { connect as tcpConnect, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import t, { type Test } from 'tap';
import { findMosquitto, startTestBroker, testBrokerSupport, type TestBroker } from '../support/mosquitto.js';

const support = testBrokerSupport();
const skip = support.available ? false : support.reason;

async function broker(t: Test, options: Parameters<typeof startTestBroker>[1] = {}): Promise<TestBroker> {
  const started = await startTestBroker(t, options);
  if (!started.available) throw new Error(started.reason);
  return started.broker;
}

/** An MQTT 5 client that reconnects quickly (the client's own timer; the test waits on events). */
async function client(t: Test, b: TestBroker, options: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = mqtt.connect(b.url, { protocolVersion: 5, reconnectPeriod: 50, connectTimeout: 5_000, ...options });
  c.on('error', () => {});
  t.teardown(() => c.endAsync(true));
  await event(c, 'connect');
  return c;
}

function event(c: MqttClient, name: 'connect' | 'close'): Promise<void> {
  return new Promise((resolve) => c.once(name, () => resolve()));
}

function nextMessage(c: MqttClient): Promise<{ topic: string; payload: string; packet: mqtt.IPublishPacket }> {
  return new Promise((resolve) => c.once('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), packet })));
}

t.test('a broker starts on a free port and carries MQTT 5 publish/subscribe', { skip }, async (t) => {
  const b = await broker(t);
  t.ok(b.running);
  t.match(b.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/);
  t.ok(b.protocolVersions.includes(5), 'MQTT 5');
  const sub = await client(t, b, { clientId: 'cloud' });
  const pub = await client(t, b, { clientId: 'gw-1' });
  await sub.subscribeAsync('lockgw/+/up/#', { qos: 1 });
  const received = nextMessage(sub);
  await pub.publishAsync('lockgw/gw-1/up/events', '{"seq":1}', { qos: 1, properties: { userProperties: { v: '1' }, correlationData: Buffer.from('tx-1') } });
  const m = await received;
  t.equal(m.topic, 'lockgw/gw-1/up/events');
  t.equal(m.payload, '{"seq":1}');
  t.same(m.packet.properties?.userProperties, { v: '1' }, 'MQTT 5 user properties survive');
  t.equal(m.packet.properties?.correlationData?.toString(), 'tx-1');
});

t.test('a client reconnects after the broker restarts on the same port', { skip }, async (t) => {
  const b = await broker(t);
  const port = b.port;
  const c = await client(t, b);
  const closed = event(c, 'close');
  await b.stop();
  t.notOk(b.running);
  await closed;
  const reconnected = event(c, 'connect');
  await b.restart();
  t.equal(b.port, port, 'same port');
  await reconnected;
  await c.subscribeAsync('t/x', { qos: 1 });
  const got = nextMessage(c);
  await c.publishAsync('t/x', 'after restart', { qos: 1 });
  t.equal((await got).payload, 'after restart');
  t.match(b.log(), /running[\s\S]*terminating[\s\S]*running/, 'the log shows both runs');
});

t.test('with persistence, a queued QoS 1 message survives a broker restart', { skip: skip || (support.available && support.kind !== 'mosquitto' ? 'needs mosquitto' : false) }, async (t) => {
  const b = await broker(t, { persistence: true });
  const gw = await client(t, b, { clientId: 'gw-7', clean: false, properties: { sessionExpiryInterval: 3600 } });
  await gw.subscribeAsync('lockgw/gw-7/down/delta', { qos: 1 });
  await gw.endAsync();
  const cloud = await client(t, b, { clientId: 'cloud' });
  await cloud.publishAsync('lockgw/gw-7/down/delta', 'queued', { qos: 1 });
  await cloud.endAsync();
  await b.restart();
  const back = mqtt.connect(b.url, { protocolVersion: 5, clientId: 'gw-7', clean: false, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 0 });
  back.on('error', () => {});
  t.teardown(() => back.endAsync(true));
  const m = await nextMessage(back);
  t.equal(m.payload, 'queued');
});

// Mosquitto 2.0.11 drops a SIGTERM that lands just after its "running" line: about half of these
// stops hung for ever before stop() repeated the signal (the reconnect test hung on it in CI)
t.test('stop() right after start() ends the broker every time, gracefully', { skip: skip || (support.available && support.kind !== 'mosquitto' ? 'needs mosquitto' : false), timeout: 60_000 }, async (t) => {
  const b = await broker(t);
  for (let i = 0; i < 12; i++) {
    await b.stop();
    t.notOk(b.running, `stop ${i + 1} ended it`);
    await b.start();
  }
  t.notMatch(b.log(), /SIGKILL/, 'SIGTERM was enough each time');
});

t.test('a crash (SIGKILL) stops the broker too, and it starts again', { skip }, async (t) => {
  const b = await broker(t);
  await b.stop('SIGKILL');
  t.notOk(b.running);
  await b.stop();
  await b.start();
  await b.start();
  t.ok(b.running, 'start is idempotent');
  await client(t, b);
});

t.test('without mosquitto or aedes the fixture reports unavailable with a reason', async (t) => {
  t.equal(findMosquitto('/nonexistent/mosquitto'), null);
  t.notOk(testBrokerSupport({ mosquittoBinary: '/nonexistent/mosquitto' }).available);
  const r = await startTestBroker(t, { mosquittoBinary: '/nonexistent/mosquitto', loadAedes: () => Promise.reject(new Error('Cannot find package aedes')) });
  t.notOk(r.available);
  if (!r.available) t.match(r.reason, /not found and aedes is not installed/);
  const odd = await startTestBroker(t, { mosquittoBinary: '/nonexistent/mosquitto', loadAedes: async () => ({ default: 42 }) });
  t.notOk(odd.available, 'a module that is not aedes counts as absent');
});

/** Stands in for aedes: accepts the socket and answers nothing (enough to test the fixture's plumbing). */
function fakeAedes() {
  const sockets: Socket[] = [];
  return {
    handled: sockets,
    broker: {
      handle: (socket: Socket) => void sockets.push(socket),
      close: (done?: () => void) => done?.(),
    },
  };
}

async function tcpReachable(port: number): Promise<boolean> {
  const socket = tcpConnect(port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

t.test('the aedes fallback listens, stops and restarts on the same port', async (t) => {
  for (const shape of ['factory', 'createBroker'] as const) {
    const fake = fakeAedes();
    const module = shape === 'factory' ? { default: () => fake.broker } : { Aedes: { createBroker: async () => fake.broker } };
    const r = await startTestBroker(t, { mosquittoBinary: '/nonexistent/mosquitto', loadAedes: async () => module });
    if (!r.available) throw new Error(r.reason);
    const b = r.broker;
    t.equal(b.kind, 'aedes', shape);
    t.same(b.protocolVersions, [4, 3], 'MQTT 3.1.1 only');
    t.equal(b.log(), '');
    t.ok(await tcpReachable(b.port));
    const port = b.port;
    await b.restart();
    t.equal(b.port, port);
    t.ok(b.running);
    t.ok(await tcpReachable(b.port));
    await b.stop();
    await b.stop();
    t.notOk(b.running);
    t.notOk(await tcpReachable(port), 'closed');
    t.ok(fake.handled.length >= 2, 'connections were handed to the broker');
  }
});
