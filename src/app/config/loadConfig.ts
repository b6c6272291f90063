/** Reads and validates the YAML configuration; every error names its path and a hint. */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatewayError } from '../../kernel/gatewayError.js';
import { CONFIG_HINTS, ConfigSchema, type GatewayConfig } from './configSchema.js';
import { metricsWarning } from './metricsConfig.js';

function issueLine(issue: z.core.$ZodIssue, source: string): string {
  const path = issue.path.map(String).join('.');
  const hint = CONFIG_HINTS[path] ?? CONFIG_HINTS[issue.path.map((p) => (typeof p === 'number' ? '*' : String(p))).join('.')];
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const allowed = knownKeys(issue.path.map(String));
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}${allowed.length ? ` (known: ${allowed.join(', ')})` : ''}`;
  }
  return `${source}: ${path || '(top level)'}: ${message}${hint ? ` — hint: ${hint}` : ''}`;
}

function knownKeys(path: string[]): string[] {
  let schema: unknown = ConfigSchema;
  for (const part of path) {
    const s = schema as { shape?: Record<string, unknown>; def?: { innerType?: unknown } };
    const shape = s.shape ?? (s.def?.innerType as { shape?: Record<string, unknown> } | undefined)?.shape;
    schema = shape?.[part];
    if (!schema) return [];
  }
  const s = schema as { shape?: Record<string, unknown>; def?: { innerType?: { shape?: Record<string, unknown> } } };
  return Object.keys(s.shape ?? s.def?.innerType?.shape ?? {});
}

/** Validates a config object (already parsed YAML); `source` names it in errors. */
export function parseConfig(raw: unknown, source = 'config'): GatewayConfig {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => issueLine(i, source));
  const first = result.error.issues[0]!;
  throw new GatewayError('CONFIG_INVALID', `invalid configuration:\n  ${lines.join('\n  ')}`, {
    field: first.path.map(String).join('.'),
    hint: 'see config/lockgw.example.yaml for every key with its default',
  });
}

/** Aliases a config file may expand; far above any real file, far below a "billion laughs" bomb. */
const MAX_ALIAS_COUNT = 100;

/** Settings that are allowed (test rigs use them) but unsafe in production, each naming its key. */
export function configWarnings(config: GatewayConfig): string[] {
  const warnings: string[] = [];
  const { cloud } = config;
  if (config.log.pretty !== undefined) warnings.push('log.pretty is no longer used (lines are readable by default): remove it, or set log.format: json for JSON lines');
  if (cloud.password !== undefined && cloud.url.startsWith('mqtt://')) {
    warnings.push(`cloud.password: sent in clear text over ${cloud.url} (plain mqtt://); use mqtts:// in production`);
  }
  if (cloud.tls?.rejectUnauthorized === false) {
    warnings.push('cloud.tls.rejectUnauthorized: false — the broker\'s certificate is not verified; anyone on the path can impersonate the cloud broker');
  }
  const metrics = metricsWarning(config.metrics);
  if (metrics !== null) warnings.push(metrics);
  return warnings;
}

export interface LoadConfigOptions {
  /** told each warning of configWarnings(); default: a line on stderr */
  readonly warn?: (message: string) => void;
}

const warnOnStderr = (message: string): void => {
  process.stderr.write(`lockgw: config warning: ${message}\n`);
};

/** Loads a YAML file; no path means the embedded defaults. Unsafe but allowed settings are warned about. */
export function loadConfig(path?: string, options: LoadConfigOptions = {}): GatewayConfig {
  const config = path === undefined ? parseConfig({}, 'embedded defaults') : loadFile(path);
  for (const message of configWarnings(config)) (options.warn ?? warnOnStderr)(path === undefined ? message : `${path}: ${message}`);
  return config;
}

function loadFile(path: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new GatewayError('CONFIG_INVALID', `cannot read the configuration file ${path}: ${(err as Error).message}`, { hint: 'pass --config with a readable YAML file' }, { cause: err });
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new GatewayError('CONFIG_INVALID', `${path}: YAML syntax error at line ${e.linePos?.[0]?.line ?? '?'}, column ${e.linePos?.[0]?.col ?? '?'}: ${e.message.split('\n')[0]}`, {
      hint: 'fix the YAML syntax (indentation, colons, quotes)',
    });
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // the yaml package throws a ReferenceError for an alias expansion beyond maxAliasCount
    throw new GatewayError('CONFIG_INVALID', `${path}: YAML aliases expand beyond the limit of ${MAX_ALIAS_COUNT} (${(err as Error).message})`, {
      hint: 'write the values out instead of nesting *aliases of aliases',
    }, { cause: err });
  }
  return parseConfig(raw, path);
}
