/**
 * One pino record (the JSON line pino wrote, already redacted) as one line a person reads:
 * `2026-12-07 15:20:54.123 INFO  gateway: stopped door=lobby grant=true`. Time in the host's
 * zone (or the one given), the level by name, the module, the message, then every other field
 * as key=value. Never more than one line: newlines in values are escaped.
 */

/** pino's numeric levels by name, as they read in a line */
const LEVEL_NAMES: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** pino's own fields, shown in their places or not at all (journald and the terminal know the pid) */
const OWN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'module', 'msg']);

/** the name of a pino level number (a level between two names takes the lower one) */
export function levelName(level: number): string {
  const known = Object.keys(LEVEL_NAMES).map(Number).filter((n) => n <= level);
  return LEVEL_NAMES[known.length ? Math.max(...known) : 10]!;
}

/** Formats a record's time; built once per logger (an Intl formatter is not cheap). */
export function timeFormat(timeZone?: string): (ms: number) => string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  });
  return (ms) => {
    const p = Object.fromEntries(parts.formatToParts(ms).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${String(Math.floor(ms % 1000)).padStart(3, '0')}`;
  };
}

/** a value as it reads after `key=`: bare when it is one plain word, JSON otherwise */
function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** pino's serialized error ({type, message, stack, code?}) as `err="Type: message" code=X stack="at …"` */
function errorFields(key: string, err: Record<string, unknown>): string[] {
  const head = `${typeof err.type === 'string' ? `${err.type}: ` : ''}${String(err.message ?? '')}`;
  const out = [`${key}=${JSON.stringify(head)}`];
  if (err.code !== undefined) out.push(`${key}.code=${fieldValue(err.code)}`);
  const frames = typeof err.stack === 'string' ? err.stack.split('\n').slice(1).map((l) => l.trim()).filter(Boolean) : [];
  if (frames.length > 0) out.push(`${key}.stack=${JSON.stringify(frames.join(' < '))}`);
  return out;
}

function isSerializedError(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && 'message' in value && ('stack' in value || 'type' in value);
}

/** The readable line for one pino record (without the trailing newline). */
export function textLine(record: Record<string, unknown>, formatTime: (ms: number) => string): string {
  const time = typeof record.time === 'number' ? formatTime(record.time) : '-';
  const level = levelName(typeof record.level === 'number' ? record.level : 30).padEnd(5);
  const module = typeof record.module === 'string' ? `${record.module}: ` : '';
  const msg = typeof record.msg === 'string' ? record.msg.replace(/\r?\n/g, '\\n') : '';
  const fields: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (OWN_FIELDS.has(key) || value === undefined) continue;
    if (isSerializedError(value)) fields.push(...errorFields(key, value));
    else fields.push(`${key}=${fieldValue(value)}`);
  }
  return `${time} ${level} ${module}${msg}${fields.length ? ` ${fields.join(' ')}` : ''}`;
}
