/**
 * Snapshot chunks decoded where their operations are kept (the rules worker's side,
 * HeldChunkDecoding), the held operations' hand-over (HeldOperations), and their counting in the
 * snapshot assembly. The worker thread itself: test/engine/worker/rulesWorker.test.ts.
 */
import t, { type Test } from 'tap';
import { HeldChunkDecoding, type ChunkDecodeContext } from '../../src/wire/chunkDecoder.js';
import { signCloudMessage } from '../../src/wire/cloudMessageCodec.js';
import { HeldOperations, operationCount, type OperationsHolder } from '../../src/wire/heldOperations.js';
import { generateSigningKeyPair } from '../../src/wire/keys.js';
import { signEnvelope } from '../../src/wire/signedEnvelope.js';
import { SnapshotAssembly } from '../../src/cloud/snapshotAssembly.js';
import { CloudState } from '../support/cloudState.js';
import { smallSite } from '../support/storeFixture.js';

const GW = 'gw-held';
const ISSUER = 'cloud.held';
const NOW = Date.parse('2026-11-23T09:00:00Z');
const TOPIC = `lockgw/${GW}/down/snapshot`;
const key = generateSigningKeyPair('held-cloud');
const context: ChunkDecodeContext = { topicPrefix: 'lockgw', gatewayId: GW, keys: [{ kid: key.kid, publicKey: key.publicKey }], issuer: ISSUER, maxSkewMs: 60_000 };

function chunks(t: Test, chunkOps: number) {
  const state = new CloudState(t);
  state.change(smallSite());
  return state.snapshot('snap-h', chunkOps);
}

const signed = (body: unknown, signer = key, now = NOW) => signCloudMessage('snapshot', body as never, { kid: signer.kid, privateKey: signer.privateKey, issuer: ISSUER, audience: GW, now });

t.test('a verified chunk comes back without its operations, which stay held until taken', async (t) => {
  const decoding = new HeldChunkDecoding();
  decoding.setContext(context);
  const [first, second] = chunks(t, 4);
  const reply = decoding.decode(1, TOPIC, Buffer.from(signed(first)), NOW);
  t.ok(reply.ok);
  if (!reply.ok) return;
  t.equal(reply.operationCount, first!.operations.length);
  t.notOk('operations' in reply.chunk, 'the operations do not cross back');
  t.match(reply.chunk, { snapshotId: 'snap-h', chunkIndex: 0, version: first!.version, hash: first!.hash, chunkCount: first!.chunkCount });
  t.match(reply.claims, { iss: ISSUER, aud: GW, typ: 'snapshot' });
  t.equal(reply.header.kid, key.kid);
  decoding.decode(2, TOPIC, Buffer.from(signed(second)), NOW);
  t.equal(decoding.size, 2);
  t.same(decoding.take(1), first!.operations, 'the operations as validated');
  t.equal(decoding.take(1), undefined, 'taken once');
  decoding.release(2);
  t.equal(decoding.size, 0, 'nothing left behind');
});

t.test('what the link would refuse is refused here with the same reason, and nothing is held', async (t) => {
  const decoding = new HeldChunkDecoding();
  decoding.setContext(context);
  const [first] = chunks(t, 100);
  const attacker = generateSigningKeyPair(key.kid);
  const stranger = generateSigningKeyPair('stranger');
  const cases: Array<[string, string | Uint8Array, string]> = [
    ['a forged signature', signed(first, attacker), 'bad_signature'],
    ['an unknown key', signed(first, stranger), 'unknown_key'],
    ['an expired chunk', signed(first, key, NOW - 3_600_000), 'expired'],
    ['unsigned JSON', JSON.stringify({ msg: first }), 'malformed'],
    ['a chunk that breaks its schema', signEnvelope({ ...first, chunkIndex: 99 }, { kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: GW, type: 'snapshot', now: NOW }), 'schema'],
  ];
  for (const [what, token, reason] of cases) {
    const reply = decoding.decode(7, TOPIC, typeof token === 'string' ? Buffer.from(token) : token, NOW);
    t.match(reply, { ok: false, reason }, what);
  }
  const delta = signCloudMessage('delta', { fromVersion: 1, toVersion: 2, hash: first!.hash, operations: [] }, { kid: key.kid, privateKey: key.privateKey, issuer: ISSUER, audience: GW, now: NOW });
  t.match(decoding.decode(8, `lockgw/${GW}/down/delta`, Buffer.from(delta), NOW), { ok: false, reason: 'unknown_topic' }, 'only snapshot chunks are decoded here');
  t.match(decoding.decode(9, `lockgw/other-gw/down/snapshot`, Buffer.from(signed(first)), NOW), { ok: false, reason: 'wrong_audience' });
  t.equal(decoding.size, 0);
  t.throws(() => new HeldChunkDecoding().decode(1, TOPIC, Buffer.from(signed(first)), NOW), /before setContext/);
});

t.test('held operations are staged or released, whichever comes first; the other does nothing', async (t) => {
  const calls: string[] = [];
  const holder: OperationsHolder = {
    stageHeld: (token, snapshotId, chunkIndex) => calls.push(`stage ${token} ${snapshotId}/${chunkIndex}`),
    releaseHeld: (token) => calls.push(`release ${token}`),
  };
  const staged = new HeldOperations(holder, 1, 10);
  staged.stage('s', 0);
  staged.release();
  staged.stage('s', 0);
  const released = new HeldOperations(holder, 2, 10);
  released.release();
  released.stage('s', 1);
  t.same(calls, ['stage 1 s/0', 'release 2']);
  t.equal(operationCount(staged), 10);
  t.equal(operationCount([]), 0);
});

t.test('the assembly counts held operations against the snapshot limit, and cannot keep them', async (t) => {
  const holder: OperationsHolder = { stageHeld: () => undefined, releaseHeld: () => undefined };
  const [first, second] = chunks(t, 4);
  const held = (c: typeof first) => ({ ...c!, operations: new HeldOperations(holder, 1, c!.operations.length) });
  const counting = new SnapshotAssembly(first!.operations.length + 1, false);
  t.match(counting.add(held(first), 'j0'), { kind: 'incomplete' });
  t.match(counting.add(held(second), 'j1'), { kind: 'refused', detail: /more than/ }, 'the second chunk passes the limit');
  const keeping = new SnapshotAssembly(1_000_000, true);
  t.throws(() => keeping.add(held(first), 'j0'), /cannot be kept here/);
});
