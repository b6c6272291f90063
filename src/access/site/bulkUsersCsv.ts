/**
 * The bulk-user CSV of property portals (Amazon Key's "Upload CSV": email, unit number, expiry
 * date, keys) → people and their holdings.
 *
 *     Email,Unit Number,Expiry Date,Keys
 *     ann@example.com,205C,2027-06-30,Resident;Gym
 *     maint@example.com,n/a,2027-12-31,Employee All Access 24/7
 *
 * - Header names are case-insensitive (spaces, _ and - alike), with the usual variants
 *   (Email Address, Unit, Expiration Date, Key). Email and Keys are required; Unit Number,
 *   Expiry Date, Name and Place are optional; other columns are ignored.
 * - Keys: key ids or key names (case-insensitive), separated by `;` or `|`.
 * - Expiry date: YYYY-MM-DD, MM/DD/YYYY (US) or DD.MM.YYYY; valid until the end of that day in
 *   the site's time zone (the holding's validUntil is the start of the next day). Empty: no end.
 * - Unit "n/a" (or "na", "none", "-") marks staff, as the portals ask; anyone else is a resident.
 *   The unit and the place are kept as the person's fields (`unit`, `place`), not folded into
 *   the name; the name is the Name column, else the email address.
 * - The person id derives from the email, stable across uploads: `user:<email, lower case>`
 *   (or `user:h-<sha-256 prefix>` for an address an id cannot hold).
 *
 * Every problem names file:line:column and the column's header; all rows are checked.
 */
import { createHash } from 'node:crypto';
import { IdSchema, LocalDateSchema, type Holding, type Key, type Person } from '../model.js';
import { GatewayError } from '../../kernel/gatewayError.js';
import { parseCsv, type CsvField } from './csvRecords.js';
import { nextDate, startOfLocalDay } from './localDate.js';
import type { RecordLocator } from './siteRecords.js';

export interface BulkUsersContext {
  /** the site's time zone: expiry dates are days there */
  timeZone: string;
  /** the keys users may be given */
  keys: readonly Key[];
}

export interface BulkUsers {
  people: Person[];
  holdings: Holding[];
  where: RecordLocator;
}

type Column = 'email' | 'unit' | 'expiry' | 'keys' | 'name' | 'place';

const ALIASES: Record<Column, readonly string[]> = {
  email: ['email', 'email address', 'e mail', 'user email'],
  unit: ['unit', 'unit number', 'unit no', 'unit #', 'apartment'],
  expiry: ['expiry date', 'expiry', 'expiration date', 'expiration', 'expires', 'lease end date', 'lease end', 'end date'],
  keys: ['keys', 'key', 'key names', 'key ids'],
  name: ['name', 'full name', 'user name'],
  place: ['place', 'building', 'property'],
};
const REQUIRED: readonly Column[] = ['email', 'keys'];
const STAFF_UNIT = /^(n\/?a|n\.a\.|none|-|staff)$/i;
const EMAIL = /^[^\s@",;<>]+@[^\s@",;<>]+\.[^\s@",;<>]+$/;

const normalHeader = (h: string) => h.trim().toLowerCase().replace(/[\s_-]+/g, ' ');
const normalName = (n: string) => n.trim().toLowerCase().replace(/\s+/g, ' ');

/** The stable person id of an email address. */
export function personIdForEmail(email: string): string {
  const normal = email.trim().toLowerCase();
  const id = `user:${normal}`;
  return IdSchema.safeParse(id).success ? id : `user:h-${createHash('sha256').update(normal).digest('hex').slice(0, 32)}`;
}

/** YYYY-MM-DD from the accepted date forms; null for anything else or a day that does not exist. */
export function parseExpiryDate(text: string): string | null {
  let m: RegExpExecArray | null;
  let iso: string | null = null;
  if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text))) iso = `${m[1]}-${m[2]}-${m[3]}`;
  else if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text))) iso = `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}`;
  else if ((m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text))) iso = `${m[3]}-${m[2]!.padStart(2, '0')}-${m[1]!.padStart(2, '0')}`;
  return iso !== null && LocalDateSchema.safeParse(iso).success ? iso : null;
}

class KeyFinder {
  private readonly byId = new Map<string, Key>();
  private readonly byName = new Map<string, Key[]>();

  constructor(keys: readonly Key[]) {
    for (const k of keys) {
      this.byId.set(k.id, k);
      const list = this.byName.get(normalName(k.name)) ?? [];
      list.push(k);
      this.byName.set(normalName(k.name), list);
    }
  }

  find(text: string): { key: Key } | { problem: string } {
    const byId = this.byId.get(text);
    if (byId) return { key: byId };
    const named = this.byName.get(normalName(text)) ?? [];
    if (named.length === 1) return { key: named[0]! };
    if (named.length > 1) return { problem: `key name "${text}" is ambiguous (keys ${named.map((k) => k.id).join(', ')}): use the key id` };
    const known = [...this.byId.keys()];
    const list = known.length === 0 ? 'the site has no keys' : `keys: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}`;
    return { problem: `unknown key "${text}" (${list})` };
  }
}

/** Parses the CSV text. Throws INPUT_INVALID naming the first problem (and how many more). */
export function parseBulkUsersCsv(text: string, source: string, context: BulkUsersContext): BulkUsers {
  const rows = parseCsv(text, source);
  const problems: string[] = [];
  const problem = (field: { line: number; column: number }, header: string | null, message: string) =>
    problems.push(`${source}:${field.line}:${field.column}${header === null ? '' : ` (${header})`}: ${message}`);
  const header = rows[0];
  if (header === undefined) throw new GatewayError('INPUT_INVALID', `${source}: the file is empty: expected a header line (Email, Unit Number, Expiry Date, Keys)`, { field: 'users' });

  const columns = new Map<Column, number>();
  header.fields.forEach((f, i) => {
    const name = normalHeader(f.value);
    const column = (Object.keys(ALIASES) as Column[]).find((c) => ALIASES[c].includes(name));
    if (column === undefined) return;
    if (columns.has(column)) problem(f, null, `column "${f.value.trim()}" repeats column ${columns.get(column)! + 1} (${header.fields[columns.get(column)!]!.value.trim()})`);
    else columns.set(column, i);
  });
  const missing = REQUIRED.filter((c) => !columns.has(c));
  if (missing.length > 0) {
    const semicolons = header.fields.length === 1 && header.fields[0]!.value.includes(';');
    throw new GatewayError('INPUT_INVALID', `${source}:${header.line}:1: the header has no ${missing.map((c) => `"${ALIASES[c][0]}"`).join(' or ')} column (found: ${header.fields.map((f) => `"${f.value.trim()}"`).join(', ')})`, {
      field: missing[0]!,
      hint: semicolons ? 'the file seems to use ; between columns: save it as comma-separated CSV' : 'the columns are Email, Unit Number, Expiry Date, Keys',
    });
  }

  const finder = new KeyFinder(context.keys);
  const people: Person[] = [];
  const holdings: Holding[] = [];
  const lines = new Map<string, number>();
  for (const row of rows.slice(1)) {
    if (row.fields.length !== header.fields.length) {
      const at = row.fields[Math.min(row.fields.length, header.fields.length) - 1] ?? { line: row.line, column: 1 };
      problem(at, null, `${row.fields.length} field${row.fields.length === 1 ? '' : 's'}, but the header has ${header.fields.length}`);
      continue;
    }
    const cell = (c: Column): CsvField | undefined => (columns.has(c) ? row.fields[columns.get(c)!] : undefined);
    const title = (c: Column) => header.fields[columns.get(c)!]!.value.trim();
    const emailCell = cell('email')!;
    const email = emailCell.value.trim();
    if (!EMAIL.test(email)) {
      problem(emailCell, title('email'), email === '' ? 'no email address' : `"${email}" is not an email address`);
      continue;
    }
    const id = personIdForEmail(email);
    const seen = lines.get(id);
    if (seen !== undefined) {
      problem(emailCell, title('email'), `${email} is already on line ${seen}`);
      continue;
    }
    lines.set(id, row.line);

    const unit = cell('unit')?.value.trim() ?? '';
    const staff = STAFF_UNIT.test(unit);
    const name = (cell('name')?.value.trim() || email).slice(0, 200);
    const place = cell('place')?.value.trim() ?? '';
    if (!staff && unit.length > 50) problem(cell('unit')!, title('unit'), 'a unit is at most 50 characters');
    if (place.length > 200) problem(cell('place')!, title('place'), 'a place is at most 200 characters');

    let validUntil: number | undefined;
    const expiryCell = cell('expiry');
    const expiry = expiryCell?.value.trim() ?? '';
    if (expiry !== '') {
      const date = parseExpiryDate(expiry);
      if (date === null) problem(expiryCell!, title('expiry'), `"${expiry}" is not a date: use YYYY-MM-DD (or MM/DD/YYYY, DD.MM.YYYY)`);
      else validUntil = startOfLocalDay(nextDate(date), context.timeZone);
    }

    const keysCell = cell('keys')!;
    const names = keysCell.value.split(/[;|]/).map((k) => k.trim()).filter((k) => k !== '');
    if (names.length === 0) problem(keysCell, title('keys'), 'no key: give key ids or names separated by ; or |');
    const keyIds = new Set<string>();
    for (const n of names) {
      const found = finder.find(n);
      if ('problem' in found) problem(keysCell, title('keys'), found.problem);
      else keyIds.add(found.key.id);
    }

    people.push({
      id, name, status: 'active', kind: staff ? 'staff' : 'resident', extendedUnlock: false,
      ...(staff || unit === '' ? {} : { unit }), ...(place === '' ? {} : { place }),
    });
    for (const keyId of keyIds) holdings.push(validUntil === undefined ? { personId: id, keyId } : { personId: id, keyId, validUntil });
  }
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new GatewayError('INPUT_INVALID', `${problems[0]}${more}`, { field: 'users' });
  }
  return {
    people,
    holdings,
    where: (entity, key) => {
      const personId = entity === 'person' ? key : entity === 'holding' ? key.slice(0, key.lastIndexOf('/')) : undefined;
      const line = personId === undefined ? undefined : lines.get(personId);
      return line === undefined ? undefined : `${source}:${line}`;
    },
  };
}
