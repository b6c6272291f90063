/**
 * One lifecycle for the parts of a daemon (zigbee2mqtt's extension loop): services start in the
 * order given and stop in reverse. A start that fails stops what had already started (in
 * reverse) and rethrows, so nothing is left half running. A stop that fails is logged with the
 * service's name and does not keep the others from stopping; stop() rethrows the first failure
 * once every service has had its turn.
 */
import type { Logger } from 'pino';

export interface Service {
  /** for the logs: "journal", "doors", "cloud link" */
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class ServiceList {
  private started: Service[] = [];

  constructor(
    private readonly services: readonly Service[],
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    for (const service of this.services) {
      try {
        await service.start();
      } catch (err) {
        this.log.error({ err, service: service.name }, `${service.name} did not start`);
        await this.stop().catch(() => undefined);
        throw err;
      }
      this.started.push(service);
    }
  }

  async stop(): Promise<void> {
    let first: unknown = null;
    for (const service of this.started.reverse()) {
      try {
        await service.stop();
      } catch (err) {
        this.log.error({ err, service: service.name }, `${service.name} did not stop cleanly`);
        first ??= err;
      }
    }
    this.started = [];
    if (first !== null) throw first;
  }
}
