/** Reads and validates the YAML configuration; every error names its path and a hint. */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { GatewayError } from '../../kernel/gatewayError.js';
import { CONFIG_HINTS, ConfigSchema, type GatewayConfig } from './configSchema.js';

function issueLine(issue: z.core.$ZodIssue, source: string): string {
  const path = issue.path.map(String).join('.');
  const hint = CONFIG_HINTS[path];
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

/** Loads a YAML file; no path means the embedded defaults. */
export function loadConfig(path?: string): GatewayConfig {
  if (path === undefined) return parseConfig({}, 'embedded defaults');
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
  return parseConfig(doc.toJS(), path);
}
