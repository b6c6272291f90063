/**
 * `lockgw provision` proves a configuration before the daemon uses it: connect to the broker with
 * it (its own client id, clean session, no last will, no online state — a running gateway keeps
 * its session), read the retained `up/state` of the gateway id (is another box already using this
 * id?) and wait for a heartbeat the configured cloud keys verify. Nothing is published.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { decodeCloudMessage, decodeGatewayMessage } from '../wire/cloudMessageCodec.js';
import { loadCloudKeys } from '../wire/keys.js';
import type { GatewayState } from '../wire/messages.js';
import { GatewayTopics } from '../wire/topics.js';
import type { CloudConfig } from './cloudConfig.js';
import { MqttConnection } from './mqttConnection.js';

export interface LinkProbeResult {
  /** connected to the broker; else why not */
  connected: boolean;
  reason: string | null;
  /** the retained state someone published for this gateway id, if any (read within stateWaitMs) */
  retainedState: GatewayState | null;
  /** the first verified heartbeat: the cloud's revision and clock (offset = cloud − local) */
  heartbeat: { revision: number; offsetMs: number } | null;
  /** heartbeats that arrived but did not verify, with why (a wrong key, issuer, ...) */
  rejected: string[];
}

export interface LinkProbeOptions {
  config: CloudConfig;
  gatewayId: string;
  clock: Clock;
  logger: Logger;
  /** how long to wait for a verified heartbeat */
  timeoutMs: number;
}

/** Resolves when a verified heartbeat came, the broker refused, or the time ran out. Never throws on the link. */
export async function probeLink(options: LinkProbeOptions): Promise<LinkProbeResult> {
  const { config, gatewayId, clock, logger, timeoutMs } = options;
  const topics = new GatewayTopics(config.topicPrefix, gatewayId);
  const keys = loadCloudKeys(config.keys);
  const connection = new MqttConnection({
    config,
    topics,
    clock,
    logger,
    probe: { clientId: `${gatewayId}-provision-${randomBytes(3).toString('hex')}`, subscribe: [topics.topic('state'), topics.topic('heartbeat')] },
  });
  const result: LinkProbeResult = { connected: false, reason: null, retainedState: null, heartbeat: null, rejected: [] };
  await new Promise<void>((resolve, reject) => {
    let timer: ReturnType<Clock['setTimeout']> | null = null;
    const done = () => {
      if (timer !== null) clock.clearTimeout(timer);
      connection.off('reconnecting', refused);
      resolve();
    };
    const refused = () => {
      result.reason = connection.status().reason;
      done();
    };
    connection.on('connected', () => {
      result.connected = true;
    });
    connection.on('reconnecting', refused);
    connection.on('message', ({ topic, payload }) => {
      if (topic === topics.topic('state')) {
        const state = decodeGatewayMessage(config.topicPrefix, topic, payload);
        if (state.ok && state.type === 'state') result.retainedState = state.message;
        return;
      }
      const decoded = decodeCloudMessage(topic, payload, { topics, keys, now: clock.now(), maxSkewMs: config.maxSkewMs, ...(config.issuer ? { issuer: config.issuer } : {}) });
      if (!decoded.ok) {
        result.rejected.push(`${decoded.reason}: ${decoded.detail}`);
        return;
      }
      if (decoded.type !== 'heartbeat') return;
      result.heartbeat = { revision: decoded.message.revision, offsetMs: decoded.message.time - clock.now() };
      done();
    });
    timer = clock.setTimeout(() => {
      if (!result.connected) result.reason = connection.status().reason ?? `no connection within ${timeoutMs / 1000} s`;
      done();
    }, timeoutMs);
    connection.start().catch(reject);
  }).finally(() => connection.stop());
  return result;
}
