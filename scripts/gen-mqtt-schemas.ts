/**
 * Writes the JSON Schemas of the MQTT contract to docs/schemas/, generated from the zod schemas
 * (src/wire/messages.ts, src/wire/signedEnvelope.ts) — never edited by hand.
 *
 *     npx tsx scripts/gen-mqtt-schemas.ts             write docs/schemas/*.json
 *     npx tsx scripts/gen-mqtt-schemas.ts --check     exit 1 if a file is missing or stale (CI)
 *     npx tsx scripts/gen-mqtt-schemas.ts --examples  print the worked examples of docs/mqtt.md
 *                                                     (real tokens, signed with a throwaway key)
 *
 * Cloud → gateway: the schema of the whole JWS payload (claims + `msg`), as the cloud writes it
 * (zod "input": fields with defaults are optional). Gateway → cloud: the message as the gateway
 * publishes it (zod "output": defaults are filled in, so those fields are always present).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { CLOUD_MESSAGE_SCHEMAS, CLOUD_MESSAGE_TYPES, GATEWAY_MESSAGE_SCHEMAS, GATEWAY_MESSAGE_TYPES } from '../src/wire/messages.js';
import { EnvelopeClaimsSchema } from '../src/wire/signedEnvelope.js';
import { TOPIC_SPECS } from '../src/wire/topics.js';
import { mqttExamples, renderExamples } from './mqttExamples.js';

export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'schemas');

function describeTopic(type: keyof typeof TOPIC_SPECS): string {
  const spec = TOPIC_SPECS[type];
  const path = spec.direction === 'cloud_to_gateway' ? `<prefix>/<gatewayId>/down/${type}` : `<prefix>/<gatewayId>/up/${type}${spec.perDoor ? '/<doorId>' : ''}`;
  return `Topic ${path}, QoS ${spec.qos}, ${spec.retain ? 'retained' : 'not retained'}: ${spec.purpose}. See docs/mqtt.md.`;
}

/** File name → JSON Schema, in a stable order. */
export function mqttJsonSchemas(): Map<string, object> {
  const out = new Map<string, object>();
  for (const type of CLOUD_MESSAGE_TYPES) {
    const payload = EnvelopeClaimsSchema.extend({ typ: z.literal(type), msg: CLOUD_MESSAGE_SCHEMAS[type] }).meta({
      title: `${type} (JWS payload)`,
      description: `The payload (claims) of a signed ${type} message: a JWS compact serialization with header {"alg":"EdDSA","kid":...}. ${describeTopic(type)}`,
    });
    out.set(`${type}.json`, z.toJSONSchema(payload, { io: 'input' }));
  }
  for (const type of GATEWAY_MESSAGE_TYPES) {
    const schema = GATEWAY_MESSAGE_SCHEMAS[type].meta({ title: type, description: `Message type "${type}" (plain JSON, not signed). ${describeTopic(type)}` });
    out.set(`${type}.json`, z.toJSONSchema(schema, { io: 'output' }));
  }
  return out;
}

export function renderSchema(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Names of files under `dir` that differ from what would be generated (missing, stale, or no longer generated). */
export function staleSchemaFiles(dir = SCHEMA_DIR): string[] {
  const expected = mqttJsonSchemas();
  const stale: string[] = [];
  for (const [name, schema] of expected) {
    const path = join(dir, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== renderSchema(schema)) stale.push(name);
  }
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)) if (name.endsWith('.json') && !expected.has(name)) stale.push(name);
  }
  return stale;
}

/** The command line; returns the exit code. `dir` and `out` are for tests. */
export function main(argv: string[], dir = SCHEMA_DIR, out: (line: string) => void = (l) => process.stdout.write(l)): number {
  if (argv.includes('--examples')) {
    out(renderExamples(mqttExamples()));
    return 0;
  }
  if (argv.includes('--check')) {
    const stale = staleSchemaFiles(dir);
    if (stale.length === 0) {
      out(`${dir}: ${mqttJsonSchemas().size} schemas up to date\n`);
      return 0;
    }
    out(`${dir} is out of date (${stale.join(', ')}); run: npx tsx scripts/gen-mqtt-schemas.ts\n`);
    return 1;
  }
  mkdirSync(dir, { recursive: true });
  const schemas = mqttJsonSchemas();
  for (const [name, schema] of schemas) writeFileSync(join(dir, name), renderSchema(schema));
  out(`wrote ${schemas.size} schemas to ${dir}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
