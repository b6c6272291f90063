/**
 * A gateway's metrics (docs/metrics.md): its own prom-client Registry (never the global default:
 * two gateways live in one process), the gauges read at scrape time, the counters fed by the
 * journal, and where they go — the HTTP endpoint and/or the textfile.
 *
 * One per Gateway, kept across its restarts (a database written back restarts the services): the
 * registry and the process metrics are made at the first start and live as long as the gateway
 * object, since prom-client's event-loop and GC observers cannot be removed once made. start()
 * watches the journal and opens the endpoint and the textfile; stop() closes them in reverse.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import { isGatewayError } from '../../kernel/gatewayError.js';
import type { Service } from '../../kernel/serviceList.js';
import { parseListen, type MetricsConfig } from '../config/metricsConfig.js';
import { registerGatewayGauges } from './gatewayGauges.js';
import { JournalCounters } from './journalCounters.js';
import type { MetricsReading, MetricsSource } from './metricsReading.js';
import { MetricsServer, type Exposition } from './metricsServer.js';
import { MetricsTextfile } from './metricsTextfile.js';

export interface GatewayMetricsOptions {
  config: MetricsConfig;
  gatewayId: string;
  version: string;
  source: MetricsSource;
  clock: Clock;
  logger: Logger;
}

interface Built {
  registry: Registry;
  counters: JournalCounters;
}

export class GatewayMetrics implements Service, Exposition {
  readonly name = 'metrics';
  private built: Built | null = null;
  private reading: MetricsReading | null = null;
  private unwatch: (() => void) | null = null;
  /** the HTTP endpoint while it runs (metrics.listen) */
  server: MetricsServer | null = null;
  /** the textfile writer while it runs (metrics.textfile) */
  textfile: MetricsTextfile | null = null;

  constructor(private readonly options: GatewayMetricsOptions) {}

  get contentType(): string {
    return this.registry().contentType;
  }

  /** The exposition text as of now: one reading of the gateway for every gauge. */
  async text(): Promise<string> {
    const registry = this.registry();
    try {
      this.reading = this.options.source.read();
    } catch (err) {
      if (!isGatewayError(err, 'NOT_STARTED')) throw err;
      // restarting: the counters and the process metrics, no gateway gauges
      this.reading = null;
    }
    return registry.metrics();
  }

  async start(): Promise<void> {
    if (this.unwatch !== null) return;
    const { config, source, clock, logger, gatewayId } = this.options;
    const { counters } = this.build();
    this.unwatch = source.watchJournal(counters.count);
    try {
      const listen = config.listen === null ? null : parseListen(config.listen);
      if (listen !== null) {
        this.server = new MetricsServer(listen, this, logger);
        await this.server.start();
      }
      if (config.textfile !== null) {
        this.textfile = new MetricsTextfile({ path: config.textfile, intervalMs: config.intervalMs, gatewayId, exposition: this, clock, logger });
        await this.textfile.start();
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const { textfile, server } = this;
    this.textfile = null;
    this.server = null;
    try {
      await textfile?.stop();
    } finally {
      await server?.stop();
      this.unwatch?.();
      this.unwatch = null;
    }
  }

  private registry(): Registry {
    return this.build().registry;
  }

  private build(): Built {
    if (this.built !== null) return this.built;
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'lockgw_' });
    const info = new Gauge({ name: 'lockgw_info', help: 'Always 1: the gateway\'s id and lockgw\'s version as labels', labelNames: ['gateway', 'version'], registers: [registry] });
    info.set({ gateway: this.options.gatewayId, version: this.options.version }, 1);
    registerGatewayGauges(registry, () => this.reading);
    this.built = { registry, counters: new JournalCounters(registry) };
    return this.built;
  }
}
