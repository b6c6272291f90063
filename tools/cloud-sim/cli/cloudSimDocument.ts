/**
 * `lockgw cloud-sim document`: signs an access document for a phone key (docs/access-model.md,
 * "A phone key with an access document") with the simulator's key, for one gateway. Prints the
 * compact JWS (or, with --json, a JSON line), or writes it to --out (never over an existing file).
 */
import { writeFileSync } from 'node:fs';
import type { AccessDocument } from '../../../src/access/accessDocument.js';
import { GatewayError } from '../../../src/kernel/gatewayError.js';
import { AccessDocumentSchema, signAccessDocument } from '../../../src/wire/accessDocument.js';
import { loadSigningKey } from '../simSigningKey.js';
import { DEFAULT_ISSUER, need, withState, type CloudSimIo, type Values } from './cloudSimContext.js';

function instant(text: string, field: string): number {
  const ms = /(Z|[+-]\d{2}:\d{2})$/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms)) throw new GatewayError('INPUT_INVALID', `--${field} "${text}" is not a date-time with an offset`, { field, hint: 'e.g. 2026-12-24T18:00:00Z' });
  return ms;
}

function text(values: Values, name: 'credential' | 'person' | 'public-key' | 'valid-until'): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new GatewayError('INPUT_INVALID', `document needs --${name}`, { field: name });
  return value;
}

export async function document(values: Values, io: CloudSimIo): Promise<number> {
  const dir = need(values, 'state', 'document');
  const gatewayId = need(values, 'gateway', 'document');
  const doors = need(values, 'door', 'document').split(',').filter((d) => d !== '');
  const scheduleIds = typeof values.schedule === 'string' ? values.schedule.split(',').filter((s) => s !== '') : [];
  const key = await loadSigningKey(dir);
  return withState(dir, io, async (state) => {
    const revision = values.revision === undefined ? state.version() + 1 : Number(values.revision);
    const draft = {
      credentialId: text(values, 'credential'),
      personId: text(values, 'person'),
      publicKey: text(values, 'public-key'),
      doors: doors.map((doorId) => (scheduleIds.length > 0 ? { doorId, scheduleIds } : { doorId })),
      ...(typeof values['valid-from'] === 'string' ? { validFrom: instant(values['valid-from'], 'valid-from') } : {}),
      validUntil: instant(text(values, 'valid-until'), 'valid-until'),
      revision,
    };
    const parsed = AccessDocumentSchema.safeParse(draft);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GatewayError('INPUT_INVALID', `document: ${issue.path.map(String).join('.')}: ${issue.message}`, { field: issue.path.map(String).join('.') });
    }
    const doc: AccessDocument = parsed.data;
    const now = io.clock.now();
    if (doc.validUntil <= now) throw new GatewayError('INPUT_INVALID', `document: --valid-until ${new Date(doc.validUntil).toISOString()} has passed`, { field: 'valid-until' });
    const token = signAccessDocument(doc, { kid: key.kid, privateKey: key.privateKey, issuer: values.issuer ?? DEFAULT_ISSUER }, gatewayId, now);
    if (typeof values.out === 'string') {
      try {
        writeFileSync(values.out, `${token}\n`, { flag: 'wx', mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new GatewayError('INPUT_INVALID', `--out ${values.out} exists: not overwritten`, { field: 'out' });
        throw err;
      }
    }
    if (values.json) io.out(JSON.stringify({ type: 'access_document', gatewayId, kid: key.kid, revision: doc.revision, bytes: token.length, token }));
    else if (typeof values.out === 'string') io.out(`access document for ${doc.credentialId} at ${gatewayId} (revision ${doc.revision}, ${token.length} bytes) written to ${values.out}`);
    else io.out(token);
    return 0;
  });
}
