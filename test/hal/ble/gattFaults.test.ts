import t, { type Test } from 'tap';
import { ManualClock } from '../../../src/kernel/clock.js';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';
import type { AclFragment } from '../../../tools/virtual-ble/index.js';
import { bleRig, within, SERVICE, TX } from '../../support/bleRig.js';

const SEND_TIMEOUT_MS = 1000;
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 5 + seed) & 0xff);
const isAttFrom = (host: string) => (f: AclFragment) => f.from === host && f.pb !== 1 && f.payload.length >= 5 && f.payload.readUInt16LE(2) === 0x0004;

/**
 * Sends one value gateway → phone with `rewrite` applied to its first ATT fragment, then says
 * what became of the send and of the link. The central's clock is manual: once the fault has
 * fired and the peer has had its say, time moves past the write timeout.
 */
async function sendThroughFault(t: Test, rewrite: (payload: Buffer) => Uint8Array[]) {
  const clock = new ManualClock(0);
  const warnings: string[] = [];
  const log = { info: () => undefined, warn: (_o: object, msg: string) => void warnings.push(msg) };
  const rig = await bleRig({ centralClock: clock, sendTimeoutMs: SEND_TIMEOUT_MS, log });
  t.teardown(() => rig.stop());
  const [gateway, phone] = await Promise.all([rig.connect(), rig.nextPhoneLink()]);
  const received: number[][] = [];
  phone.channel(TX).onReceive((v) => received.push([...v]));
  const faulted = within<void>(3000, 'the fault to fire', (done) => {
    rig.ble.radio.fault = (f) => {
      if (!isAttFrom('gateway')(f)) return [f.payload];
      rig.ble.radio.fault = null;
      done();
      return rewrite(f.payload);
    };
  });
  const outcome = gateway.channel(TX).send(bytes(12, 1)).then(() => 'sent', (e: unknown) => e);
  await faulted;
  // the request is gone or garbled: whatever the peer makes of it, the write's time runs out
  const closing = within<string>(3000, 'the gateway link to close', (done) => gateway.onClose(done));
  clock.advance(SEND_TIMEOUT_MS);
  const result = await outcome;
  // ATT allows no further request after a transaction timed out: the link must go
  if (isGatewayError(result, 'DEVICE_TIMEOUT')) t.match(await closing, /disconnected/, 'a write that timed out closes the link');
  return { rig, gateway, phone, result, received, warnings };
}

t.test('an ATT request corrupted in the air: no crash; the send fails or goes through, and the link recovers or closes', async (t) => {
  const { rig, gateway, result } = await sendThroughFault(t, (p) => { const c = Buffer.from(p); c[4] = 0x7e; return [c]; });
  t.ok(result === 'sent' || isGatewayError(result, 'DEVICE_ERROR') || isGatewayError(result, 'DEVICE_TIMEOUT'), `outcome: ${String(result)}`);
  await recoversOrReconnects(t, rig, gateway);
});

t.test('an ATT request truncated in the air: no crash; the send fails, and the link recovers or closes', async (t) => {
  const { rig, gateway, result } = await sendThroughFault(t, (p) => [p.subarray(0, p.length - 4)]);
  t.ok(isGatewayError(result, 'DEVICE_TIMEOUT') || isGatewayError(result, 'DEVICE_ERROR') || isGatewayError(result, 'DEVICE_OFFLINE'), `outcome: ${String(result)}`);
  await recoversOrReconnects(t, rig, gateway);
});

t.test('an ACL fragment cut below its L2CAP header: no crash', async (t) => {
  const { rig, gateway, result, warnings } = await sendThroughFault(t, (p) => [p.subarray(0, 3)]);
  t.ok(isGatewayError(result, 'DEVICE_TIMEOUT'), `outcome: ${String(result)}`);
  t.match(warnings, ['dropped an HCI packet the Bluetooth library could not parse'], 'bleno\'s parse error was caught and logged');
  await recoversOrReconnects(t, rig, gateway);
});

async function recoversOrReconnects(t: Test, rig: Awaited<ReturnType<typeof bleRig>>, gateway: Awaited<ReturnType<typeof rig.connect>>) {
  let link = gateway;
  if (!link.closed) {
    const ok = await link.channel(TX).send(bytes(8, 2)).then(() => true, () => false);
    if (ok) return t.pass('the link still carries values');
    if (!link.closed) await link.close();
  }
  await within<void>(3000, 'the phone side to notice', (done) => { const l = rig.server.connected(); if (l.length === 0) done(); else l[0]!.onClose(() => done()); });
  [link] = await Promise.all([rig.connect(), rig.nextPhoneLink()]);
  await link.channel(TX).send(bytes(8, 3));
  t.pass('a new connection carries values');
  await link.close();
}

t.test('connecting to a device that stopped advertising times out as DEVICE_TIMEOUT, is cancelled, and a later connect works', async (t) => {
  const clock = new ManualClock(0);
  const rig = await bleRig({ centralClock: clock });
  t.teardown(() => rig.stop());
  rig.peripheral.bleno.stopAdvertising();
  await within<void>(3000, 'advertising to stop', (done) => rig.peripheral.bleno.once('advertisingStop', () => done()));
  const requested = within<void>(3000, 'LE Create Connection', (done) => {
    rig.ble.controller('gateway').on('rx', (p) => { if (p.kind === 'command' && p.opcode === 0x200d) done(); });
  });
  const attempt = rig.connect().catch((e: unknown) => e);
  await requested;
  const cancelled = within<void>(3000, 'LE Create Connection Cancel', (done) => {
    rig.ble.controller('gateway').on('rx', (p) => { if (p.kind === 'command' && p.opcode === 0x200e) done(); });
  });
  clock.advance(5000);
  const err = await attempt;
  t.ok(isGatewayError(err, 'DEVICE_TIMEOUT'), String(err));
  await cancelled;
  t.same(rig.ble.radio.connections(), []);

  await rig.peripheral.bleno.startAdvertisingAsync('lockgw-phone', [SERVICE]);
  const [link] = await Promise.all([rig.connect(), rig.nextPhoneLink()]);
  await link.channel(TX).send(bytes(4, 4));
  t.pass('the connect after the timeout carries values');
  await link.close();
});
