/**
 * `lockgw cloud-sim publish`: the site file (and bulk-user CSV) to the gateway, as a snapshot the
 * first time and as a delta of what changed afterwards; progress on stderr for a long snapshot;
 * then the gateway's apply_ack, or a clear error when it refuses or never answers.
 */
import type { ApplyAck } from '../../../src/wire/messages.js';
import type { CloudSimulator, SnapshotProgress } from '../cloudSimulator.js';
import { loadSiteInput } from '../../../src/app/site/siteInput.js';
import { loadSigningKey } from '../simSigningKey.js';
import { DEFAULT_CHUNK_LIMITS } from '../snapshotChunks.js';
import type { TimerHandle } from '../../../src/kernel/clock.js';
import { GatewayError } from '../../../src/kernel/gatewayError.js';
import { need, number, output, simulator, withState, type CloudSimIo, type Values } from './cloudSimContext.js';
import { count, formatAck, mb, printGatewayMessages, short } from './cloudSimOutput.js';

/** On a terminal one line rewritten in place; otherwise a line every 10 % (logs stay short). */
export function defaultProgress(): CloudSimIo['progress'] {
  let shown = -1;
  return (line, fraction) => {
    if (process.stderr.isTTY) {
      process.stderr.write(`\r${line}\x1b[K${fraction >= 1 ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth > shown) process.stderr.write(`${line}\n`);
    shown = fraction >= 1 ? -1 : tenth;
  };
}

function progressLine(p: SnapshotProgress): string {
  return `snapshot v${p.version}: chunk ${p.chunkIndex + 1}/${p.chunkCount}, ${count(p.operationsSent)}/${count(p.operations)} operations, ${mb(p.bytesSent)}/${mb(p.bytes)} MB`;
}

/** Resolves with the apply_ack of `version`; rejects when the gateway refuses it or says nothing. */
function awaitApply(sim: CloudSimulator, version: number, ours: ReadonlySet<string>, timeoutMs: number, io: CloudSimIo, hint: string): Promise<ApplyAck> {
  return new Promise<ApplyAck>((resolve, reject) => {
    let timer: TimerHandle | null = null;
    const done = (fn: () => void) => {
      sim.off('apply_ack', onAck);
      sim.off('security_event', onSecurity);
      sim.off('sync_request', onRequest);
      io.clock.clearTimeout(timer);
      fn();
    };
    const onAck = (ack: ApplyAck) => {
      if (ack.revision >= version) done(() => resolve(ack));
    };
    const onSecurity = (event: { reason: string; detail: string; jti?: string }) => {
      if (event.jti === undefined || !ours.has(event.jti)) return;
      const fix: Record<string, string> = {
        unknown_key: "configure the key printed by 'lockgw cloud-sim info' in the gateway's cloud.keys",
        bad_signature: "configure the key printed by 'lockgw cloud-sim info' in the gateway's cloud.keys",
        wrong_issuer: "--issuer must be the gateway's cloud.issuer",
        wrong_audience: "--gateway must be the gateway's id",
        expired: "the gateway's clock and this machine's disagree",
        not_yet_valid: "the gateway's clock and this machine's disagree",
      };
      done(() => reject(new GatewayError('INPUT_INVALID', `the gateway refused the message: ${event.reason}: ${event.detail}`, fix[event.reason] ? { hint: fix[event.reason] } : {})));
    };
    const onRequest = (request: { reason: string; detail?: string }) => {
      if (request.reason !== 'apply_failed') return;
      done(() => reject(new GatewayError('INPUT_INVALID', `the gateway could not apply version ${version}: ${request.detail ?? 'no detail'}`, { hint: 'fix the site and publish again' })));
    };
    timer = io.clock.setTimeout(() => done(() => reject(new GatewayError('DEVICE_TIMEOUT', `no apply_ack from the gateway for version ${version} within ${Math.round(timeoutMs / 1000)} s`, { hint }))), timeoutMs);
    sim.on('apply_ack', onAck);
    sim.on('security_event', onSecurity);
    sim.on('sync_request', onRequest);
  });
}

export async function publish(values: Values, io: CloudSimIo): Promise<number> {
  const dir = need(values, 'state', 'publish');
  const timeoutMs = number(values, 'timeout', 60, { min: 0, max: 86_400 }) * 1000;
  const maxOps = number(values, 'chunk-ops', DEFAULT_CHUNK_LIMITS.maxOps, { min: 1, max: 100_000, integer: true });
  need(values, 'url', 'publish');
  const gatewayId = need(values, 'gateway', 'publish');
  const key = await loadSigningKey(dir);
  const site = await loadSiteInput({ site: need(values, 'site', 'publish'), ...(values.users === undefined ? {} : { users: values.users }) });
  if ((site.records.keptPins ?? []).length > 0) {
    const first = site.records.keptPins![0]!;
    throw new GatewayError('INPUT_INVALID', `${site.where('credential', first.id) ?? need(values, 'site', 'publish')}: credential ${first.id} is a PIN given by its digest (a gateway's export): the cloud sends PINs in clear`, { field: 'pinDigest', hint: 'give the PIN itself (pin: "1234")' });
  }
  return withState(dir, io, async (state) => {
    const sim = simulator(values, 'publish', key, state, io);
    const out = output(values, io, state);
    printGatewayMessages(sim, { ...out, out: io.err }, ['security_event', 'sync_request', 'sync_answered', 'invalid']);
    const ours = new Set<string>();
    sim.on('published', (p) => ours.add(p.jti));
    await sim.start();
    try {
      const result = await sim.publishSite(site.records, {
        forceSnapshot: values.snapshot === true,
        chunkLimits: { ...DEFAULT_CHUNK_LIMITS, maxOps },
        expectHash: site.hash,
        onProgress: (p) => {
          if (p.chunkCount > 1) io.progress(progressLine(p), (p.chunkIndex + 1) / p.chunkCount);
        },
      });
      if (values.json) io.out(JSON.stringify({ type: 'published', gatewayId, ...result }));
      else if (result.kind === 'unchanged') io.out(`unchanged: the site is version ${result.version}, hash ${short(result.hash)} (--snapshot sends it again)`);
      else if (result.kind === 'snapshot') io.out(`published snapshot ${result.snapshotId}: version ${result.version}, ${count(result.operations)} operations in ${result.chunkCount} chunk${result.chunkCount === 1 ? '' : 's'} (${mb(result.bytes)} MB), hash ${short(result.hash)}`);
      else io.out(`published delta ${result.fromVersion} → ${result.toVersion}: ${count(result.operations)} operations, hash ${short(result.hash)}`);
      if (result.kind === 'unchanged' || timeoutMs === 0) return 0;
      const version = result.kind === 'delta' ? result.toVersion : result.version;
      const hint = `is the gateway running with cloud.enabled, connected to ${values.url}, with id ${gatewayId} and kid ${key.kid} in cloud.keys? The message stays queued at the broker for the gateway's session`;
      const ack = await awaitApply(sim, version, ours, timeoutMs, io, hint);
      io.out(values.json ? JSON.stringify({ type: 'apply_ack', ...ack }) : formatAck(ack, result.hash));
      if (ack.revision === version && ack.hash !== result.hash) {
        throw new GatewayError('STORE_CORRUPT', `the gateway runs version ${version} with hash ${ack.hash}, not the published ${result.hash}`, { hint: 'publish again with --snapshot' });
      }
      return 0;
    } finally {
      await sim.stop();
    }
  });
}
