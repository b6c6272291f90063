/**
 * A site file (YAML or JSON) → the site's records, validated by the model's schemas. Two forms:
 *
 * 1. sections of records (each optional):
 *
 *        site: {id: linden, name: Linden Apartments, timeZone: Europe/Berlin}
 *        pinPolicy: {minLength: 6, maxLength: 6, codeSpace: refuse}   # local allocation (pinPolicy.ts)
 *        doors: [{id: front, name: Front door, place: Building A}]
 *        holidays: [{date: 2026-12-25, type: 1, name: Christmas Day}]
 *        schedules: [{id: gym-hours, name: Gym hours, intervals: [{days: [mon, fri], start: "06:00", end: "22:00"}]}]
 *        keys: [{id: resident, name: Resident, mayShare: true, doors: [{doorId: front}]}]
 *        people:
 *          - id: ann
 *            name: Ann Example
 *            holds: [resident, {keyId: gym, validUntil: 2027-06-30T23:59:59+02:00}]   # holdings of ann
 *            credentials: [{id: ann-card, kind: card, card: "26:12:34567"}]           # personId implied
 *        holdings: [...]      # {personId, keyId, validFrom?, validUntil?}
 *        credentials: [...]   # {id, personId, kind, ...}
 *
 * 2. a list of operations (`[{op: upsert, entity, record}, {op: delete, ...}]`, or
 *    `{operations: [...]}`): the site is what they leave, applied in order.
 *
 * Every problem is reported as `file:line:col: path: message` (the first, and how many more).
 * References between records are checked afterwards (siteCheck.ts), also by position.
 */
import type { z } from 'zod';
import { BatchOpSchema, type Entity } from '../batchOpSchema.js';
import { CredentialInputSchema, type Credential, DoorSchema, HolidaySchema, HoldingSchema, KeySchema, PersonSchema, ScheduleSchema, SiteSchema } from '../model.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { PinPolicySchema } from '../pinPolicy.js';
import { formatPath, parseDocumentText, type DocPath, type DocumentText } from './documentText.js';
import { emptySiteRecords, recordKey, type RecordLocator, type SiteRecords } from './siteRecords.js';

export interface SiteDocument {
  source: string;
  records: SiteRecords;
  where: RecordLocator;
}

interface Issue {
  path: DocPath;
  message: string;
  /** point at the field's name rather than its value (an unknown field or section) */
  atKey?: boolean;
  /** where the record this one repeats is */
  first?: DocPath;
}

const SECTIONS = {
  doors: ['door', DoorSchema],
  holidays: ['holiday', HolidaySchema],
  schedules: ['schedule', ScheduleSchema],
  keys: ['key', KeySchema],
  people: ['person', PersonSchema],
  holdings: ['holding', HoldingSchema],
  credentials: ['credential', CredentialInputSchema],
} as const satisfies Record<Exclude<keyof SiteRecords, 'site' | 'keptPins' | 'pinPolicy'>, readonly [Entity, z.ZodType]>;

const SECTION_NAMES = ['site', ...Object.keys(SECTIONS), 'pinPolicy'];
const PIN_DIGEST = /^[0-9a-f]{64}$/;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function issuesOf(error: z.ZodError, at: DocPath, raw: unknown): Issue[] {
  return error.issues.map((issue) => {
    const path = [...at, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
    if (issue.code === 'unrecognized_keys') {
      return { path: [...path, issue.keys[0]!], message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`, atKey: true };
    }
    let message = issue.message;
    // YAML reads an unquoted 0123 as the number 123: a PIN or card must be quoted
    const value = issue.path.reduce<unknown>((v, p) => (isObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[p as string] : undefined), raw);
    if (issue.code === 'invalid_type' && issue.expected === 'string' && typeof value === 'number') message += ' (quote it: "…")';
    return { path, message };
  });
}

class SiteBuilder {
  readonly records = emptySiteRecords();
  readonly issues: Issue[] = [];
  private readonly paths = new Map<string, DocPath>();

  /** A record of a section: validated, and refused when its id was taken by an earlier one. */
  add<S extends z.ZodType>(entity: Entity, schema: S, raw: unknown, path: DocPath): z.output<S> | undefined {
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      this.issues.push(...issuesOf(parsed.error, path, raw));
      return undefined;
    }
    const key = recordKey(entity, parsed.data);
    const first = this.pathOf(entity, key);
    if (first !== undefined) {
      this.issues.push({ path, message: `${entity} ${key} is defined more than once`, first });
      return undefined;
    }
    this.remember(entity, key, path);
    return parsed.data;
  }

  /**
   * A credential; a PIN given by its digest (`pinDigest`, as `lockgw site export` writes it) is
   * validated as the PIN credential it stands for and kept aside (SiteRecords.keptPins).
   */
  addCredential(raw: unknown, path: DocPath): void {
    if (!(isObject(raw) && raw.kind === 'pin' && 'pinDigest' in raw)) {
      const credential = this.add('credential', CredentialInputSchema, raw, path);
      if (credential) this.records.credentials.push(credential);
      return;
    }
    const { pinDigest, ...rest } = raw;
    if ('pin' in rest) return void this.issues.push({ path: [...path, 'pin'], message: 'give the PIN or its digest (pinDigest), not both', atKey: true });
    if (typeof pinDigest !== 'string' || !PIN_DIGEST.test(pinDigest)) return void this.issues.push({ path: [...path, 'pinDigest'], message: 'a PIN digest is 64 lowercase hex digits, as lockgw site export writes it' });
    // the other fields are checked as those of a PIN credential (the placeholder PIN is dropped)
    const c = this.add('credential', CredentialInputSchema, { ...rest, pin: '0000' }, path);
    if (c === undefined) return;
    const kept: Credential = {
      id: c.id, personId: c.personId, kind: 'pin', value: pinDigest, status: c.status, validFrom: c.validFrom, validUntil: c.validUntil,
      useLimit: c.useLimit, duress: c.duress, label: c.label,
    };
    (this.records.keptPins ??= []).push(kept);
  }

  /** Where a record is defined: the first place (a duplicate is reported by siteCheck), or the latest. */
  remember(entity: Entity, key: string, path: DocPath, latest = false): void {
    if (latest || !this.paths.has(`${entity}:${key}`)) this.paths.set(`${entity}:${key}`, path);
  }

  pathOf(entity: Entity, key: string): DocPath | undefined {
    return this.paths.get(`${entity}:${key}`);
  }
}

function listOf(value: unknown, path: DocPath, builder: SiteBuilder): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value;
  builder.issues.push({ path, message: 'must be a list' });
  return [];
}

/** A person's own holdings (`holds`) and credentials, with personId implied. */
function nested(builder: SiteBuilder, personId: string, raw: Record<string, unknown>, path: DocPath): void {
  listOf(raw.holds, [...path, 'holds'], builder).forEach((h, j) => {
    const at = [...path, 'holds', j];
    if (isObject(h) && 'personId' in h) return void builder.issues.push({ path: [...at, 'personId'], message: 'is implied by the person: leave it out' });
    const holding = builder.add('holding', HoldingSchema, typeof h === 'string' ? { personId, keyId: h } : isObject(h) ? { personId, ...h } : h, at);
    if (holding) builder.records.holdings.push(holding);
  });
  listOf(raw.credentials, [...path, 'credentials'], builder).forEach((c, j) => {
    const at = [...path, 'credentials', j];
    if (isObject(c) && 'personId' in c) return void builder.issues.push({ path: [...at, 'personId'], message: 'is implied by the person: leave it out' });
    builder.addCredential(isObject(c) ? { personId, ...c } : c, at);
  });
}

function fromSections(doc: Record<string, unknown>, builder: SiteBuilder): void {
  for (const name of Object.keys(doc)) {
    if (!SECTION_NAMES.includes(name)) builder.issues.push({ path: [name], message: `unknown section (sections: ${SECTION_NAMES.join(', ')})`, atKey: true });
  }
  if (doc.site !== undefined && doc.site !== null) builder.records.site = builder.add('site', SiteSchema, doc.site, ['site']) ?? null;
  if (doc.pinPolicy !== undefined && doc.pinPolicy !== null) {
    const policy = PinPolicySchema.safeParse(doc.pinPolicy);
    if (policy.success) builder.records.pinPolicy = policy.data;
    else builder.issues.push(...issuesOf(policy.error, ['pinPolicy'], doc.pinPolicy));
  }
  for (const [name, [entity, schema]] of Object.entries(SECTIONS) as Array<[keyof typeof SECTIONS, (typeof SECTIONS)[keyof typeof SECTIONS]]>) {
    listOf(doc[name], [name], builder).forEach((raw, i) => {
      const path = [name, i];
      if (entity === 'person' && isObject(raw)) {
        const { holds, credentials, ...person } = raw;
        const record = builder.add('person', PersonSchema, person, path);
        if (record === undefined) return;
        builder.records.people.push(record);
        nested(builder, record.id, { holds, credentials }, path);
        return;
      }
      if (entity === 'credential') return builder.addCredential(raw, path);
      const record = builder.add(entity, schema, raw, path);
      if (record !== undefined) (builder.records[name] as unknown[]).push(record);
    });
  }
}

/** The site that a list of operations leaves, applied in order to an empty site. */
function fromOperations(list: unknown[], at: DocPath, builder: SiteBuilder): void {
  const maps = new Map<Entity, Map<string, unknown>>();
  let site: SiteRecords['site'] = null;
  list.forEach((raw, i) => {
    const parsed = BatchOpSchema.safeParse(raw);
    if (!parsed.success) return void builder.issues.push(...issuesOf(parsed.error, [...at, i], raw));
    const op = parsed.data;
    if (op.entity === 'site') {
      site = op.op === 'upsert' ? op.record : null;
      return;
    }
    const map = maps.get(op.entity) ?? new Map<string, unknown>();
    maps.set(op.entity, map);
    if (op.op === 'upsert') {
      const key = recordKey(op.entity, op.record);
      map.delete(key); // a replaced record takes its new place in the order
      map.set(key, op.record);
      builder.remember(op.entity, key, [...at, i, 'record'], true);
    } else {
      map.delete(recordKey(op.entity, op));
    }
  });
  builder.records.site = site;
  for (const [name, [entity]] of Object.entries(SECTIONS) as Array<[keyof typeof SECTIONS, (typeof SECTIONS)[keyof typeof SECTIONS]]>) {
    const list = builder.records[name] as unknown[];
    for (const record of maps.get(entity)?.values() ?? []) list.push(record); // a loop: push(...huge) overflows the stack
  }
}

/** Parses a site document. Throws INPUT_INVALID naming file, line, column and path. */
export function parseSiteFile(text: string, source: string): SiteDocument {
  const doc: DocumentText = parseDocumentText(text, source);
  const builder = new SiteBuilder();
  const value = doc.value;
  if (Array.isArray(value)) fromOperations(value, [], builder);
  else if (isObject(value) && 'operations' in value) {
    const extra = Object.keys(value).filter((k) => k !== 'operations');
    if (extra.length > 0) builder.issues.push({ path: [extra[0]!], message: 'a list of operations stands alone: put the records in operations, or use sections without operations', atKey: true });
    fromOperations(listOf(value.operations, ['operations'], builder), ['operations'], builder);
  } else if (isObject(value)) fromSections(value, builder);
  else {
    throw new GatewayError('INPUT_INVALID', `${source}: ${value === null || value === undefined ? 'the file is empty' : 'not a site'}: expected sections (${SECTION_NAMES.join(', ')}) or a list of operations`, {
      hint: 'see the example in src/access/site/siteFile.ts and docs/standalone.md',
    });
  }
  if (builder.issues.length > 0) {
    const first = builder.issues[0]!;
    const more = builder.issues.length > 1 ? ` (and ${builder.issues.length - 1} more problem${builder.issues.length > 2 ? 's' : ''})` : '';
    const also = first.first === undefined ? '' : ` (first at ${doc.locate(first.first)}, ${formatPath(first.first)})`;
    throw new GatewayError('INPUT_INVALID', `${doc.locate(first.path, { key: first.atKey === true })}: ${formatPath(first.path)}: ${first.message}${also}${more}`, { field: formatPath(first.path) });
  }
  return {
    source,
    records: builder.records,
    where: (entity, key) => {
      const path = builder.pathOf(entity, key);
      return path === undefined ? undefined : doc.locate(path);
    },
  };
}
