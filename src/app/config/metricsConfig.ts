/**
 * The config's `metrics:` section (docs/metrics.md): Prometheus metrics on a local HTTP endpoint
 * and/or a textfile for node_exporter's textfile collector. Off by default. Pure: the file
 * system (is the textfile ours? is its directory there?) is checked when the gateway starts.
 */
import { isIP } from 'node:net';
import { isAbsolute, posix } from 'node:path';
import { z } from 'zod';

/** Where an enabled endpoint listens unless told otherwise: this host only (the endpoint has no authentication). */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9464';

export interface ListenAddress {
  /** an IPv4 or IPv6 literal, or localhost */
  host: string;
  /** 0: any free port (tests) */
  port: number;
}

/** Parses `host:port` (`[::1]:9464` for IPv6); null when it is not one. */
export function parseListen(text: string): ListenAddress | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65_535) return null;
  if (m[1] !== undefined ? isIP(host) !== 6 : host !== 'localhost' && isIP(host) !== 4) return null;
  return { host, port };
}

/** Only this host can reach an address on the loopback interface. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export const MetricsConfigSchema = z
  .strictObject({
    /** serve metrics (listen) and/or write them (textfile) */
    enabled: z.boolean().default(false),
    /** host:port of the HTTP endpoint (GET /metrics); null: no endpoint. Another host's address is allowed but warned about: no authentication */
    listen: z.string().nullable().default(DEFAULT_METRICS_LISTEN),
    /** an absolute path ending in .prom in node_exporter's textfile directory, replaced atomically every intervalMs; null: no textfile */
    textfile: z.string().nullable().default(null),
    /** how often the textfile is written */
    intervalMs: z.number().int().min(1_000).max(3_600_000).default(15_000),
  })
  .superRefine((m, ctx) => {
    if (m.listen !== null && parseListen(m.listen) === null) {
      ctx.addIssue({ code: 'custom', path: ['listen'], message: `"${m.listen}" is not host:port (an IP address or localhost, a port 0-65535; IPv6 in brackets: [::1]:9464)` });
    }
    if (m.textfile !== null) {
      if (!isAbsolute(m.textfile)) ctx.addIssue({ code: 'custom', path: ['textfile'], message: `"${m.textfile}" is relative; write the absolute path in node_exporter's textfile directory` });
      else if (m.textfile.split('/').includes('..')) ctx.addIssue({ code: 'custom', path: ['textfile'], message: `"${m.textfile}" climbs out with ..; write the path itself` });
      else if (!posix.basename(m.textfile).endsWith('.prom') || posix.basename(m.textfile) === '.prom') {
        ctx.addIssue({ code: 'custom', path: ['textfile'], message: `"${m.textfile}" does not end in .prom: node_exporter's textfile collector reads only *.prom files` });
      }
    }
    if (m.enabled && m.listen === null && m.textfile === null) {
      ctx.addIssue({ code: 'custom', path: ['enabled'], message: 'nothing to serve: set metrics.listen (an HTTP endpoint) or metrics.textfile (a file), or both' });
    }
  })
  .prefault({});

export type MetricsConfig = z.output<typeof MetricsConfigSchema>;

/** The config's warning about an endpoint other hosts can reach (configWarnings). */
export function metricsWarning(m: MetricsConfig): string | null {
  if (!m.enabled || m.listen === null) return null;
  const address = parseListen(m.listen);
  if (address === null || isLoopback(address.host)) return null;
  return `metrics.listen: ${m.listen} can be reached from other hosts and the endpoint has no authentication; firewall it to your Prometheus (docs/metrics.md)`;
}
