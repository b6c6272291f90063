/**
 * `phone_key`: what a phone key costs the gateway and the phone.
 *  - verify: the gateway's work on one RESPONSE (decode the message, redeem the nonce, parse the
 *    credential's SPKI, build the signing input, verify the signature), ES256 and Ed25519
 *    separately; baseline in the same run: the signature verification alone on a parsed key.
 *  - end to end: the phone (noble, the phone-sim's client) opens the demo lobby through a real
 *    gateway (bleno, its phone-key reader, the door controller, the simulated strike) over the
 *    virtual radio, timed until the strike is released: connection included, and excluded (the
 *    exchange on a connected link); and the whole `phone-sim open` verb (adapter, scan, connect,
 *    exchange) for fewer rounds. Baseline in the same run: one bare write→notify round trip
 *    on a link between the same two libraries (an echo peripheral).
 * Deterministic inputs: fixed keys (the protocol page's P-256 test key, the demo Ed25519 key) and
 * seeded nonces; ECDSA signatures are randomised by nature.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify } from 'node:crypto';
import { pino } from 'pino';
import { parseConfig } from '../src/app/config/loadConfig.js';
import { Gateway } from '../src/app/gateway.js';
import { openCentral, openPeripheral } from '../src/hal/ble/bleAdapter.js';
import type { BleLink } from '../src/hal/ble/bleLink.js';
import { GattCentral } from '../src/hal/ble/gattCentral.js';
import { GattPeripheral } from '../src/hal/ble/gattPeripheral.js';
import { ChallengeBook } from '../src/hal/ble/phoneKey/challengeBook.js';
import { decodeMessage, encodeMessage, signingInput } from '../src/hal/ble/phoneKey/codec.js';
import { PHONE_KEY_MESSAGE_UUID, PHONE_KEY_SERVICE_UUID } from '../src/hal/ble/phoneKey/protocol.js';
import { parsePublicKey, verifySignature } from '../src/hal/ble/phoneKey/signatureCheck.js';
import { ManualClock, SystemClock } from '../src/kernel/clock.js';
import { runPhoneSim } from '../tools/phone-sim/cli/phoneSimCommand.js';
import { openPhoneRadio, scanGateways } from '../tools/phone-sim/cli/phoneSimAdapter.js';
import { DEMO_PHONE_CREDENTIAL, DEMO_PHONE_PRIVATE_KEY_PKCS8 } from '../tools/phone-sim/demoPhoneKey.js';
import { runPhoneKeyExchange } from '../tools/phone-sim/phoneKeyClient.js';
import { PhoneKeyPair } from '../tools/phone-sim/phoneKeyPair.js';
import { startVirtualBle } from '../tools/virtual-ble/index.js';
import { socatAvailable } from '../test/support/ptyPair.js';
import { Prng } from './prng.js';
import { emit, note } from './report.js';
import { summarize, type Summary } from './stats.js';

/** docs/ble-phone-key.md section 7: the P-256 test key */
const P256_TEST_PKCS8 = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBRMP0/xvUZbJgqNJEARxvoDYvj8JVUvS8rH1sbfN96ChRANCAAQUZ2A7R9gL6DmHr7oqJHtRJgDllTy7zH6qRHq4uxK+Ma9/WM+5LoagDA/wuInXsP2BXmHdrvaLdpYa4kcxYWsn';
const SEED = 0x5eed_0b1e;
const ms = (ns: number) => ns / 1e6;
const fmt = (s: Summary) => `p50 ${ms(s.p50).toFixed(3)} ms, p99 ${ms(s.p99).toFixed(3)} ms, max ${ms(s.max).toFixed(3)} ms`;
const within = <T>(ms: number, what: string, register: (done: (value: T) => void) => void) => new Promise<T>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`phone_key: timed out after ${ms} ms waiting for ${what}`)), ms);
  register((value) => { clearTimeout(timer); resolve(value); });
});

/** The gateway's steps on one RESPONSE, timed per RESPONSE; the signature check alone as the baseline. */
function verifyBench(key: PhoneKeyPair, rounds: number): { full: Summary; bare: Summary } {
  const prng = new Prng(SEED);
  const clock = new ManualClock(Date.parse('2026-06-15T10:00:00Z'));
  const book = new ChallengeBook({ clock, random: (n) => Uint8Array.from({ length: n }, () => prng.int(0, 255)) });
  const binding = { connection: 'c1', doorId: 'lobby' };
  const spki = key.publicKeySpkiB64;
  const parsedOnce = parsePublicKey(spki);
  if (!parsedOnce.ok) throw new Error(`phone_key: the ${key.algorithm} test key did not parse`);
  const warmup = Math.min(200, rounds);
  const full = new Float64Array(rounds);
  const bare = new Float64Array(rounds);
  for (let i = 0; i < rounds + warmup; i++) {
    clock.advance(10);
    const issued = book.issue(binding);
    if (!issued.ok) throw new Error('phone_key: the challenge book is full');
    const challenge = { nonce: issued.challenge.nonce, gatewayId: 'gw-bench', doorId: 'lobby', time: issued.challenge.issuedAt };
    const signature = key.sign(signingInput(challenge));
    const bytes = encodeMessage({ type: 'response', nonce: challenge.nonce, signature });
    const t0 = process.hrtime.bigint();
    const decoded = decodeMessage(bytes);
    if (!decoded.ok || decoded.message.type !== 'response') throw new Error('phone_key: the RESPONSE did not decode');
    const redeemed = book.redeem(decoded.message.nonce, binding);
    const parsed = parsePublicKey(spki);
    const ok = redeemed.ok && parsed.ok && verifySignature(parsed.key, signingInput(challenge), decoded.message.signature);
    const t1 = process.hrtime.bigint();
    const message = signingInput(challenge);
    const t2 = process.hrtime.bigint();
    const bareOk = key.algorithm === 'Ed25519'
      ? verify(null, message, parsedOnce.key.key, signature)
      : verify('sha256', message, { key: parsedOnce.key.key, dsaEncoding: 'ieee-p1363' }, signature);
    const t3 = process.hrtime.bigint();
    if (!ok || !bareOk) throw new Error(`phone_key: a ${key.algorithm} RESPONSE did not verify`);
    if (i >= warmup) {
      full[i - warmup] = Number(t1 - t0);
      bare[i - warmup] = Number(t3 - t2);
    }
  }
  return { full: summarize(full), bare: summarize(bare) };
}

/** One bare write→notify round trip between noble and bleno on the virtual radio: an echo peripheral. */
async function linkBaseline(rounds: number): Promise<Summary> {
  const clock = new SystemClock();
  const ble = await startVirtualBle({ hosts: ['echo', 'phone'] });
  const peripheral = await openPeripheral({ uart: ble.uartPort('echo') }, { clock, timeoutMs: 5_000 });
  const central = await openCentral({ uart: ble.uartPort('phone') }, { clock, timeoutMs: 5_000 });
  const server = new GattPeripheral(peripheral.bleno, { clock });
  try {
    await server.serve({
      name: 'echo', serviceUuid: PHONE_KEY_SERVICE_UUID, characteristics: [PHONE_KEY_MESSAGE_UUID],
      onConnect: (link) => { const ch = link.channel(PHONE_KEY_MESSAGE_UUID); ch.onReceive((v) => void ch.send(v).catch(() => undefined)); },
    });
    const gatt = new GattCentral(central.noble, { clock });
    await gatt.scan({ serviceUuid: PHONE_KEY_SERVICE_UUID, timeoutMs: 5_000, until: (r) => r.address === ble.address('echo') });
    const link = await gatt.connect(ble.address('echo'), { serviceUuid: PHONE_KEY_SERVICE_UUID, characteristics: [PHONE_KEY_MESSAGE_UUID], timeoutMs: 5_000 });
    const channel = link.channel(PHONE_KEY_MESSAGE_UUID);
    const value = Uint8Array.from({ length: 20 }, (_, i) => i);
    const warmup = 20;
    const samples = new Float64Array(rounds);
    for (let i = 0; i < rounds + warmup; i++) {
      const t0 = process.hrtime.bigint();
      const echoed = within<void>(5_000, 'the echo', (done) => { const off = channel.onReceive(() => { off(); done(); }); });
      await channel.send(value);
      await echoed;
      if (i >= warmup) samples[i - warmup] = Number(process.hrtime.bigint() - t0);
    }
    await link.close();
    return summarize(samples);
  } finally {
    await server.stop();
    await Promise.all([central.stop(), peripheral.stop()]);
    await ble.close();
  }
}

/** The demo phone key opens the lobby through a real gateway on the virtual radio, `rounds` times. */
async function endToEnd(rounds: number, cliRounds: number): Promise<{ total: Summary; exchange: Summary; cli: Summary }> {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-phone-bench-'));
  const clock = new ManualClock(Date.now());
  const logger = pino({ level: 'silent' });
  const ble = await startVirtualBle({ hosts: ['gateway', 'phone'] });
  const gateway = new Gateway(parseConfig({ gateway: { id: 'gw-bench', dataDir: dir }, ble: { phoneKeys: { adapter: { uart: ble.uartPort('gateway') } } } }), { clock, logger });
  const stops: (() => Promise<unknown>)[] = [async () => ble.close(), async () => rmSync(dir, { recursive: true, force: true })];
  try {
    await gateway.start();
    stops.unshift(() => gateway.stop());
    const strike = gateway.simulated!.doors.get('lobby')!.actuator;
    const released = () => within<bigint>(10_000, 'the strike to release', (done) => {
      const listener = (state: string) => { if (state === 'unlocked') { strike.off('state', listener); done(process.hrtime.bigint()); } };
      strike.on('state', listener);
    });
    const relock = () => { clock.advance(5_000); if (strike.state() !== 'locked') throw new Error('phone_key: the strike did not re-lock'); };
    const phoneClock = new SystemClock();
    const radio = await openPhoneRadio({ uart: ble.uartPort('phone') }, phoneClock, logger);
    const key = PhoneKeyPair.fromPkcs8(DEMO_PHONE_PRIVATE_KEY_PKCS8);
    const warmup = 5;
    const total = new Float64Array(rounds);
    const exchange = new Float64Array(rounds);
    try {
      const [found] = await scanGateways(radio, 5_000, ble.address('gateway'));
      if (!found) throw new Error('phone_key: the gateway does not advertise');
      for (let i = 0; i < rounds + warmup; i++) {
        const unlocked = released();
        const t0 = process.hrtime.bigint();
        const link: BleLink = await radio.central.connect(found.address, { serviceUuid: PHONE_KEY_SERVICE_UUID, characteristics: [PHONE_KEY_MESSAGE_UUID], timeoutMs: 5_000 });
        const t1 = process.hrtime.bigint();
        const result = await runPhoneKeyExchange({ link, clock: phoneClock, key, credentialId: DEMO_PHONE_CREDENTIAL, doorId: 'lobby', timeoutMs: 5_000 });
        const t2 = await unlocked;
        if (!result.granted) throw new Error(`phone_key: denied ${result.reason}`);
        if (i >= warmup) {
          total[i - warmup] = Number(t2 - t0);
          exchange[i - warmup] = Number(t2 - t1);
        }
        relock();
        await within<void>(5_000, 'the link to go', (done) => { const check = () => (ble.radio.connections().length === 0 ? done() : setImmediate(check)); check(); });
      }
    } finally {
      await radio.adapter.stop();
    }
    // the whole verb, as a user runs it: adapter up, scan, connect, exchange
    const cli = new Float64Array(cliRounds);
    for (let i = 0; i < cliRounds + 1; i++) {
      const unlocked = released();
      const t0 = process.hrtime.bigint();
      const code = await runPhoneSim(['open', '--demo', '--door', 'lobby', '--adapter', ble.uartPort('phone')], { out: () => undefined, err: (l) => note(l), logger });
      const t1 = await unlocked;
      if (code !== 0) throw new Error(`phone_key: phone-sim open exited ${code}`);
      if (i >= 1) cli[i - 1] = Number(t1 - t0);
      relock();
      await within<void>(5_000, 'the link to go', (done) => { const check = () => (ble.radio.connections().length === 0 ? done() : setImmediate(check)); check(); });
    }
    const grants = gateway.journal.recent(0, 1_000_000).filter((e) => e.type === 'access' && e.grant).length;
    note(`phone_key: ${rounds + warmup + cliRounds + 1} grants journaled: ${grants}`);
    return { total: summarize(total), exchange: summarize(exchange), cli: summarize(cli) };
  } finally {
    for (const stop of stops) await stop();
  }
}

export async function runPhoneKeyBench(scale: number): Promise<void> {
  const verifyRounds = Math.max(1_000, Math.round(20_000 * scale));
  let worstP99 = 0;
  for (const [name, key] of [['es256', PhoneKeyPair.fromPkcs8(P256_TEST_PKCS8)], ['ed25519', PhoneKeyPair.fromPkcs8(DEMO_PHONE_PRIVATE_KEY_PKCS8)]] as const) {
    const { full, bare } = verifyBench(key, verifyRounds);
    note(`phone_key: ${name} RESPONSE verification (${verifyRounds} rounds) ${fmt(full)}; the signature check alone ${fmt(bare)}`);
    emit({ bench: 'phone_key', metric: `${name}_verify_p50_ms`, value: ms(full.p50), unit: 'ms', target: null, better: 'lower' });
    emit({ bench: 'phone_key', metric: `${name}_verify_p99_ms`, value: ms(full.p99), unit: 'ms', target: 2, better: 'lower' });
    emit({ bench: 'phone_key', metric: `${name}_signature_only_p50_ms`, value: ms(bare.p50), unit: 'ms', target: null, better: 'lower' });
    worstP99 = Math.max(worstP99, full.p99);
  }
  emit({ bench: 'phone_key', metric: 'verify_p99_ms', value: ms(worstP99), unit: 'ms', target: 2, better: 'lower' });
  if (!socatAvailable()) {
    note('phone_key: the end-to-end part skipped, socat is not installed (apt-get install socat)');
    return;
  }
  const rounds = Math.max(30, Math.round(300 * scale));
  const cliRounds = Math.max(5, Math.round(30 * scale));
  const link = await linkBaseline(rounds);
  note(`phone_key: bare write→notify round trip on the virtual radio (${rounds} rounds) ${fmt(link)}`);
  const e2e = await endToEnd(rounds, cliRounds);
  note(`phone_key: connect + exchange → strike released (${rounds} rounds) ${fmt(e2e.total)}`);
  note(`phone_key: exchange on a connected link → strike released ${fmt(e2e.exchange)}`);
  note(`phone_key: phone-sim open (adapter, scan, connect, exchange) → strike released (${cliRounds} rounds) ${fmt(e2e.cli)}`);
  emit({ bench: 'phone_key', metric: 'open_p50_ms', value: ms(e2e.total.p50), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'phone_key', metric: 'open_p99_ms', value: ms(e2e.total.p99), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'phone_key', metric: 'exchange_p50_ms', value: ms(e2e.exchange.p50), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'phone_key', metric: 'exchange_p99_ms', value: ms(e2e.exchange.p99), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'phone_key', metric: 'cli_open_p50_ms', value: ms(e2e.cli.p50), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'phone_key', metric: 'link_round_trip_p50_ms', value: ms(link.p50), unit: 'ms', target: null, better: 'lower' });
  emit({ bench: 'phone_key', metric: 'link_round_trip_p99_ms', value: ms(link.p99), unit: 'ms', target: null, better: 'lower' });
}
