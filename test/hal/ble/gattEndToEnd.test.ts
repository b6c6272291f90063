import t from 'tap';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';
import type { BleLink, ByteChannel } from '../../../src/hal/ble/bleLink.js';
import { SystemClock } from '../../../src/kernel/clock.js';
import { openCentral, openPeripheral } from '../../../src/hal/ble/bleAdapter.js';
import { GattCentral } from '../../../src/hal/ble/gattCentral.js';
import { GattPeripheral } from '../../../src/hal/ble/gattPeripheral.js';
import { startVirtualBle } from '../../../tools/virtual-ble/index.js';
import { bleRig, within, RX, SERVICE, TX } from '../../support/bleRig.js';

const received = (channel: ByteChannel, what: string) => within<Uint8Array>(3000, what, (done) => { const off = channel.onReceive((v) => { off(); done(v); }); });
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

t.test('real noble and real bleno scan, connect and exchange values both ways through a 27-byte controller buffer', async (t) => {
  const rig = await bleRig({ leBufferSize: 27 });
  t.teardown(() => rig.stop());
  t.equal(rig.phone.name, 'lockgw-phone');
  t.same(rig.phone.serviceUuids, ['6e400001b5a3f393e0a9e50e24dcca9e']);
  t.same([...rig.phone.manufacturerData!], [0xff, 0xff, 0x4c, 0x47]);
  let continuations = 0;
  for (const host of ['gateway', 'phone']) rig.ble.controller(host).on('rx', (p) => { if (p.kind === 'acl' && p.pb === 1) continuations++; });

  const [gateway, phone] = await Promise.all([rig.connect(), rig.nextPhoneLink()]);
  t.equal(gateway.peer, rig.ble.address('phone'));
  t.equal(phone.peer, rig.ble.address('gateway'));
  t.ok(gateway.channel(TX).maxValueLength() > 20, `the MTU was exchanged (${gateway.channel(TX).maxValueLength()})`);
  t.equal(phone.channel(TX).maxValueLength(), gateway.channel(TX).maxValueLength());

  for (const [uuid, size] of [[TX, 5], [RX, 20], [TX, 120], [RX, gateway.channel(RX).maxValueLength()]] as const) {
    const toPhone = bytes(size, 1);
    const atPhone = received(phone.channel(uuid), `the phone to receive ${size} bytes`);
    await gateway.channel(uuid).send(toPhone);
    t.same([...(await atPhone)], [...toPhone], `${size} bytes gateway → phone on ${uuid.slice(0, 8)}`);
    const toGateway = bytes(size, 2);
    const atGateway = received(gateway.channel(uuid), `the gateway to receive ${size} bytes`);
    await phone.channel(uuid).send(toGateway);
    t.same([...(await atGateway)], [...toGateway], `${size} bytes phone → gateway on ${uuid.slice(0, 8)}`);
  }
  t.ok(continuations > 0, `ACL was fragmented (${continuations} continuation fragments)`);

  const tooLong = await gateway.channel(TX).send(bytes(gateway.channel(TX).maxValueLength() + 1, 0)).catch((e: unknown) => e);
  t.ok(isGatewayError(tooLong, 'INPUT_INVALID'));

  const closedAtPhone = within<string>(3000, 'the phone link to close', (done) => phone.onClose(done));
  await gateway.close();
  t.ok(gateway.closed);
  await closedAtPhone;
  t.ok(phone.closed);
  t.same(rig.ble.radio.connections(), []);
});

t.test('a link lost mid-exchange closes both ends, pending and later sends reject DEVICE_OFFLINE, and a reconnect works', async (t) => {
  const rig = await bleRig();
  t.teardown(() => rig.stop());
  const [gateway, phone] = await Promise.all([rig.connect(), rig.nextPhoneLink()]);
  const reasons = Promise.all([gateway, phone].map((l, i) => within<string>(3000, `onClose of end ${i}`, (done) => l.onClose(done))));

  // the write leaves the gateway and is held in the air; then the radio link is lost
  let held = false;
  const inAir = within<void>(3000, 'the write to be in the air', (done) => {
    rig.ble.radio.fault = (f) => { if (f.from === 'gateway') { held = true; done(); return new Promise(() => undefined); } return [f.payload]; };
  });
  const pending = gateway.channel(TX).send(bytes(10, 3)).catch((e: unknown) => e);
  await inAir;
  t.ok(held);
  t.equal(rig.ble.radio.dropLink('phone'), 1);
  const [gatewayReason, phoneReason] = await reasons;
  t.match(gatewayReason, /disconnected/);
  t.match(phoneReason, /disconnected/);
  t.ok(isGatewayError(await pending, 'DEVICE_OFFLINE'), 'the write in flight rejects DEVICE_OFFLINE');
  for (const link of [gateway, phone]) {
    const err = await link.channel(RX).send(bytes(4, 0)).catch((e: unknown) => e);
    t.ok(isGatewayError(err, 'DEVICE_OFFLINE'), `a send on the closed ${link === gateway ? 'gateway' : 'phone'} end rejects DEVICE_OFFLINE`);
  }
  await gateway.close();

  rig.ble.radio.fault = null;
  const [again, phoneAgain] = await Promise.all([rig.connect(), rig.nextPhoneLink()]);
  const value = bytes(30, 9);
  const got = received(phoneAgain.channel(TX), 'a value after the reconnect');
  await again.channel(TX).send(value);
  t.same([...(await got)], [...value]);
  await again.close();
});

t.test('a second central connects while the first is connected: each is its own BleLink on the peripheral', async (t) => {
  const clock = new SystemClock();
  const ble = await startVirtualBle({ hosts: ['gateway', 'other', 'phone'] });
  const [a, b, p] = await Promise.all([
    openCentral({ uart: ble.uartPort('gateway') }, { clock, timeoutMs: 5000 }),
    openCentral({ uart: ble.uartPort('other') }, { clock, timeoutMs: 5000 }),
    openPeripheral({ uart: ble.uartPort('phone') }, { clock, timeoutMs: 5000 }),
  ]);
  const server = new GattPeripheral(p.bleno, { clock });
  t.teardown(async () => { await server.stop(); await Promise.all([a.stop(), b.stop(), p.stop()]); await ble.close(); });
  const offered: BleLink[] = [];
  const waiting: ((l: BleLink) => void)[] = [];
  await server.serve({ name: 'lockgw-phone', serviceUuid: SERVICE, characteristics: [TX], onConnect: (l) => { offered.push(l); waiting.shift()?.(l); } });
  const next = () => within<BleLink>(5000, 'a phone-side link', (done) => waiting.push(done));
  const links: BleLink[] = [];
  for (const adapter of [a, b]) {
    const gatt = new GattCentral(adapter.noble, { clock });
    await gatt.scan({ serviceUuid: SERVICE, timeoutMs: 5000, until: (r) => r.address === ble.address('phone') });
    const [link] = await Promise.all([gatt.connect(ble.address('phone'), { serviceUuid: SERVICE, characteristics: [TX], timeoutMs: 5000 }), next()]);
    links.push(link);
  }
  t.equal(server.connected().length, 2);
  t.same(offered.map((l) => l.peer).sort(), [ble.address('gateway'), ble.address('other')]);
  const heard = links.map((l) => { const got: number[][] = []; l.channel(TX).onReceive((v) => got.push([...v])); return got; });
  for (const [i, link] of links.entries()) {
    const phoneSide = offered.find((l) => l.peer === [ble.address('gateway'), ble.address('other')][i])!;
    const back = received(link.channel(TX), `central ${i} to hear its own notification`);
    await phoneSide.channel(TX).send(Uint8Array.from([i]));
    t.same([...(await back)], [i], `central ${i} hears what its own link notifies`);
  }
  // a write's response follows any notification sent before it on that link
  for (const link of links) await link.channel(TX).send(Uint8Array.from([9]));
  t.same(heard, [[[0]], [[1]]], 'neither central heard the other\'s notification');
  await Promise.all(links.map((l) => l.close()));
});
