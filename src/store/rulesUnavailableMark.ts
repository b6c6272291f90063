/**
 * A database the gateway created in place of a lost or corrupt one carries this mark in its
 * `meta` table until rules arrive (a cloud snapshot): a restart before then stays in safety-only
 * mode instead of running an empty rule set as if it were the site's.
 */
import type { Db } from './database.js';
import type { StoreProblem } from './storeProblem.js';

const KEY = 'store.rulesUnavailable';

export interface RulesUnavailableMark extends StoreProblem {
  /** when the problem was found (ISO 8601) */
  since: string;
  /** where the lost or corrupt file was set aside, if it was */
  setAside: string[];
}

export function markRulesUnavailable(db: Db, mark: RulesUnavailableMark): void {
  db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(KEY, JSON.stringify(mark));
}

export function rulesUnavailableMark(db: Db): RulesUnavailableMark | null {
  const value = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(KEY) as string | undefined;
  return value === undefined ? null : (JSON.parse(value) as RulesUnavailableMark);
}

export function clearRulesUnavailable(db: Db): void {
  db.prepare('DELETE FROM meta WHERE key = ?').run(KEY);
}
