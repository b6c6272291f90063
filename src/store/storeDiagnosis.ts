/**
 * What is wrong with the gateway's database, found without changing anything (for `lockgw
 * doctor` and an offline `lockgw status`): opened read-only, quick_check, schema version, and the
 * mark of a database made in place of a lost one. Never creates, moves or migrates the file.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { quickCheck } from './database.js';
import { MIGRATIONS } from './migrations.js';
import { rulesUnavailableMark, type RulesUnavailableMark } from './rulesUnavailableMark.js';
import { hasMarker } from './storeFiles.js';
import { storeProblem, type StoreProblem } from './storeProblem.js';

export type StoreDiagnosis =
  | { state: 'ok'; schemaVersion: number; pending: RulesUnavailableMark | null; checkMs: number }
  /** no file and no marker: the first start has not happened yet */
  | { state: 'absent' }
  | { state: 'problem'; problem: StoreProblem };

export function diagnoseStore(path: string, busyTimeoutMs = 1_000): StoreDiagnosis {
  if (!existsSync(path)) {
    if (!hasMarker(path)) return { state: 'absent' };
    return { state: 'problem', problem: { cause: 'missing', file: path, detail: 'the database file is gone, though this gateway had created it' } };
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  } catch (err) {
    return { state: 'problem', problem: storeProblem(path, err) };
  }
  try {
    const started = performance.now();
    const problems = quickCheck(db);
    const checkMs = performance.now() - started;
    if (problems.length !== 1 || problems[0] !== 'ok') {
      return { state: 'problem', problem: { cause: 'corrupt', file: path, detail: `quick_check: ${problems.slice(0, 3).join('; ')}` } };
    }
    const schemaVersion = db.pragma('user_version', { simple: true }) as number;
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    if (schemaVersion > latest) {
      return { state: 'problem', problem: { cause: 'too_new', file: path, detail: `schema version ${schemaVersion}, newer than this lockgw (${latest})` } };
    }
    return { state: 'ok', schemaVersion, pending: schemaVersion === 0 ? null : rulesUnavailableMark(db), checkMs };
  } catch (err) {
    return { state: 'problem', problem: storeProblem(path, err) };
  } finally {
    db.close();
  }
}
