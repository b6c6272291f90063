/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` on the configured address, nothing else
 * (404 for another path, 405 for another method). No authentication: it listens on loopback
 * unless configured otherwise (docs/metrics.md). start() rejects with GatewayError UNAVAILABLE
 * naming `metrics.listen` when the address cannot be bound; stop() closes the server and every
 * open connection (keep-alive ones included), so the port is free when it resolves.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { GatewayError } from '../../kernel/gatewayError.js';
import type { ListenAddress } from '../config/metricsConfig.js';

export interface Exposition {
  /** the metrics in Prometheus' text format */
  text(): Promise<string>;
  readonly contentType: string;
}

const FIELD = 'metrics.listen';

/** Why a bind failed, for the installer. */
function bindProblem(err: NodeJS.ErrnoException, shown: string): GatewayError {
  const why = err.code === 'EADDRINUSE' ? `${shown} is already in use by another program`
    : err.code === 'EADDRNOTAVAIL' ? `${shown} is not an address of this host`
      : err.code === 'EACCES' ? `${shown} needs privileges the daemon does not have (a port below 1024)`
        : `cannot listen on ${shown}: ${err.message}`;
  return new GatewayError('UNAVAILABLE', `${FIELD}: ${why}`, { field: FIELD, hint: 'choose another metrics.listen (the default is 127.0.0.1:9464), or stop what holds the port (ss -ltnp)' }, { cause: err });
}

export class MetricsServer {
  private server: Server | null = null;
  private readonly log: Logger;

  constructor(
    private readonly listen: ListenAddress,
    private readonly exposition: Exposition,
    logger: Logger,
  ) {
    this.log = logger.child({ module: 'metrics:http' });
  }

  /** The bound address (the real port when configured with port 0); null when not listening. */
  address(): { host: string; port: number } | null {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : null;
  }

  async start(): Promise<void> {
    if (this.server !== null) return;
    const server = createServer((req, res) => void this.answer(req, res));
    const { host, port } = this.listen;
    const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(bindProblem(err, shown)));
      server.listen({ host, port }, () => resolve());
    });
    server.on('error', (err) => this.log.error({ err }, 'metrics endpoint error'));
    this.server = server;
    this.log.info({ address: this.address() }, `metrics on http://${shown}/metrics`);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET') {
      res.writeHead(405, { 'content-type': 'text/plain; charset=utf-8', allow: 'GET' }).end(`method ${req.method ?? '?'} not allowed: GET /metrics\n`);
      return;
    }
    try {
      const body = await this.exposition.text();
      res.writeHead(200, { 'content-type': this.exposition.contentType }).end(body);
    } catch (err) {
      this.log.error({ err }, 'could not collect the metrics');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('could not collect the metrics\n');
    }
  }
}
