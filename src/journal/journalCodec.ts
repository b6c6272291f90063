/**
 * Event <-> row conversion for the journal. Pure functions, no I/O.
 *
 * `encodeEvent` runs on the door hot path (inside `Journal.append`): it never throws. Whatever a
 * caller hands in becomes a row the STRICT `journal` table accepts, so one malformed event can
 * never block the batch it travels in.
 */

export type JournalEventType = 'access' | 'alarm' | 'security' | 'mode' | 'system';

export interface JournalEvent {
  type: JournalEventType;
  /** epoch ms, from the injected Clock */
  at: number;
  doorId?: string;
  grant?: boolean;
  reason?: string;
  personId?: string;
  credentialId?: string;
  keyId?: string;
  /** JSON; callers never put credential values (PINs, card numbers) here */
  data?: Record<string, unknown>;
}

export interface JournalEntry extends JournalEvent {
  seq: number;
}

/** One row of the `journal` table, in column order. */
export interface JournalRow {
  seq: number;
  at: number;
  type: string;
  door_id: string | null;
  grant: number | null;
  reason: string | null;
  person_id: string | null;
  credential_id: string | null;
  key_id: string | null;
  data: string | null;
}

/** Keys (compared case-insensitively, at any depth of `data`) whose values are never stored. */
export const REDACTED_KEYS: ReadonlySet<string> = new Set(['pin', 'pincode', 'value', 'card', 'secret']);
export const REDACTED = '[redacted]';

export interface EncodeResult {
  row: JournalRow;
  /** names of the `data` keys that were redacted, for a warning; empty when none */
  redacted: string[];
  /** `data` could not be serialised (cycle, BigInt) and was replaced by a marker */
  unserializable: boolean;
}

const EVENT_TYPES: ReadonlySet<string> = new Set(['access', 'alarm', 'security', 'mode', 'system']);

function optionalText(value: unknown): string | null {
  return value === undefined || value === null ? null : String(value);
}

/**
 * Builds the row for `event` with sequence number `seq`. `now` replaces an `at` that is not a
 * finite number; an unknown `type` is stored as 'system' with the original in `data.originalType`.
 */
export function encodeEvent(seq: number, event: JournalEvent, now: number): EncodeResult {
  const redacted: string[] = [];
  let unserializable = false;
  let data: Record<string, unknown> | undefined = event.data;
  let type: string = event.type;
  if (!EVENT_TYPES.has(type)) {
    data = { ...(data ?? {}), originalType: String(type) };
    type = 'system';
  }
  let json: string | null = null;
  if (data !== undefined && data !== null) {
    try {
      json =
        JSON.stringify(data, (key, value: unknown) => {
          if (key !== '' && REDACTED_KEYS.has(key.toLowerCase())) {
            redacted.push(key);
            return REDACTED;
          }
          return value;
        }) ?? null;
    } catch {
      unserializable = true;
      json = JSON.stringify({ unserializable: true });
    }
  }
  const at = Number.isFinite(event.at) ? Math.trunc(event.at) : now;
  return {
    row: {
      seq,
      at,
      type,
      door_id: optionalText(event.doorId),
      grant: event.grant === undefined || event.grant === null ? null : event.grant ? 1 : 0,
      reason: optionalText(event.reason),
      person_id: optionalText(event.personId),
      credential_id: optionalText(event.credentialId),
      key_id: optionalText(event.keyId),
      data: json,
    },
    redacted,
    unserializable,
  };
}

/** The entry a stored row stands for; absent columns are absent keys, not `undefined` values. */
export function decodeRow(row: JournalRow): JournalEntry {
  const entry: JournalEntry = { seq: row.seq, type: row.type as JournalEventType, at: row.at };
  if (row.door_id !== null) entry.doorId = row.door_id;
  if (row.grant !== null) entry.grant = row.grant !== 0;
  if (row.reason !== null) entry.reason = row.reason;
  if (row.person_id !== null) entry.personId = row.person_id;
  if (row.credential_id !== null) entry.credentialId = row.credential_id;
  if (row.key_id !== null) entry.keyId = row.key_id;
  if (row.data !== null) entry.data = JSON.parse(row.data) as Record<string, unknown>;
  return entry;
}
