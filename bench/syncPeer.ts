/**
 * The cloud side of the sync benchmarks, in its own process (so its signing and publishing do not
 * run on the gateway's event loop, whose stalls are measured). Driven over IPC by syncBench.ts:
 *
 *   {setup}      connect to the broker, regenerate the synthetic site from its seed
 *   {snapshot}   publish the whole site as signed snapshot chunks
 *   {deltas}     publish a chain of signed deltas
 *   {ackEvents}  acknowledge every events batch the gateway uploads (event_drain)
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { createPinHasher } from '../src/access/pinDigest.js';
import { decodeGatewayMessage, signCloudMessage } from '../src/wire/cloudMessageCodec.js';
import { cloudPayload } from '../src/wire/compressedPayload.js';
import type { CloudMessageInput, CloudMessageType } from '../src/wire/messages.js';
import { siteBatches } from './siteBatches.js';
import { renameOperations } from './syncOperations.js';
import { generateSite, siteSize } from './syntheticSite.js';

export interface PeerSetup {
  url: string;
  gatewayId: string;
  kid: string;
  privateKeyPem: string;
  issuer: string;
  scale: number;
  seed: number;
  secret: number[];
}

export type PeerCommand =
  | { setup: PeerSetup }
  | { snapshot: { version: number; hash: string; chunkOps: number } }
  | { deltas: { fromVersion: number; count: number; people: number; hashes: [string, string] } }
  | { ackEvents: true };

/** `bytes`: on the wire (gzip); `tokenBytes`: the signed tokens before compression */
export type PeerReply = { ready: { operations: number } } | { published: { messages: number; operations: number; ms: number; bytes: number; tokenBytes: number } } | { error: string };

let client: MqttClient | null = null;
let setup: PeerSetup | null = null;
let site: ReturnType<typeof generateSite> | null = null;
let privateKey: KeyObject | null = null;

const send = (reply: PeerReply) => process.send!(reply);

interface Sent {
  bytes: number;
  tokenBytes: number;
}

/** Signs and publishes; snapshot chunks and deltas gzip-compressed, as docs/mqtt.md asks a cloud to (level 1, the cheapest). */
async function publish<T extends CloudMessageType>(type: T, body: CloudMessageInput<T>, sent: Sent = { bytes: 0, tokenBytes: 0 }): Promise<void> {
  const s = setup!;
  const token = signCloudMessage(type, body, { kid: s.kid, privateKey: privateKey!, issuer: s.issuer, audience: s.gatewayId, now: Date.now(), ttlMs: 3_600_000 });
  const payload = cloudPayload(type, token, 1);
  await client!.publishAsync(`lockgw/${s.gatewayId}/down/${type}`, payload, { qos: 1 });
  sent.bytes += payload.length;
  sent.tokenBytes += token.length;
}

async function onCommand(command: PeerCommand): Promise<void> {
  if ('setup' in command) {
    setup = command.setup;
    privateKey = createPrivateKey(setup.privateKeyPem);
    site = generateSite(siteSize(setup.scale), setup.seed, createPinHasher(Uint8Array.from(setup.secret)));
    client = await mqtt.connectAsync(setup.url, { protocolVersion: 5, clientId: `bench-cloud-${process.pid}`, clean: true });
    let operations = 0;
    for (const batch of siteBatches(site, 100_000)) operations += batch.length;
    send({ ready: { operations } });
    return;
  }
  if ('snapshot' in command) {
    const { version, hash, chunkOps } = command.snapshot;
    const batches = [...siteBatches(site!, chunkOps)];
    // like a cloud: resend chunks the gateway says it is missing (a broker may drop queued messages)
    await client!.subscribeAsync(`lockgw/${setup!.gatewayId}/up/sync_request`, { qos: 1 });
    client!.on('message', (topic, payload) => {
      const decoded = decodeGatewayMessage('lockgw', topic, payload);
      if (!decoded.ok || decoded.type !== 'sync_request' || decoded.message.want.kind !== 'chunks') return;
      const { chunks, snapshotId } = decoded.message.want;
      if (snapshotId !== `bench-${version}`) return;
      process.stderr.write(`  sync_snapshot: the gateway asked for ${chunks.length} missing chunk(s); resending\n`);
      void (async () => {
        for (const i of chunks) {
          await publish('snapshot', { version, snapshotId, chunkIndex: i, chunkCount: batches.length, hash, operations: batches[i] as never, transaction: decoded.message.transaction });
        }
      })();
    });
    const started = performance.now();
    const sent: Sent = { bytes: 0, tokenBytes: 0 };
    let operations = 0;
    for (const [chunkIndex, ops] of batches.entries()) {
      await publish('snapshot', { version, snapshotId: `bench-${version}`, chunkIndex, chunkCount: batches.length, hash, operations: ops as never }, sent);
      operations += ops.length;
      if (chunkIndex % 40 === 39) process.stderr.write(`  sync_snapshot: published ${operations.toLocaleString('en-US')} operations, ${(sent.bytes / 1e6).toFixed(0)} MB\n`);
    }
    send({ published: { messages: batches.length, operations, ms: performance.now() - started, ...sent } });
    return;
  }
  if ('deltas' in command) {
    const { fromVersion, count, people, hashes } = command.deltas;
    const [renamed, original] = renameOperations(site!, people);
    const started = performance.now();
    const sent: Sent = { bytes: 0, tokenBytes: 0 };
    for (let i = 0; i < count; i++) {
      const v = fromVersion + i;
      await publish('delta', { fromVersion: v, toVersion: v + 1, hash: hashes[i % 2]!, operations: (i % 2 === 0 ? renamed : original) as never }, sent);
    }
    send({ published: { messages: count, operations: count * people, ms: performance.now() - started, ...sent } });
    return;
  }
  if ('ackEvents' in command) {
    const s = setup!;
    await client!.subscribeAsync(`lockgw/${s.gatewayId}/up/events`, { qos: 1 });
    client!.on('message', (topic, payload) => {
      const decoded = decodeGatewayMessage('lockgw', topic, payload);
      if (!decoded.ok || decoded.type !== 'events') return;
      const last = decoded.message.events[decoded.message.events.length - 1]!.seq;
      void publish('events_ack', { journalId: decoded.message.journalId, uptoSeq: last });
    });
    send({ published: { messages: 0, operations: 0, ms: 0, bytes: 0, tokenBytes: 0 } });
  }
}

process.on('message', (command: PeerCommand) => {
  onCommand(command).catch((err: unknown) => send({ error: (err as Error).stack ?? String(err) }));
});
process.on('disconnect', () => {
  void client?.endAsync(true).finally(() => process.exit(0));
});
