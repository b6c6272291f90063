/**
 * Opening the gateway's database at start, without ever exiting on a bad file: the file is
 * opened, migrated and checked (PRAGMA quick_check), and the answer is either the open handle
 * or why it cannot be used (storeProblem.ts). A missing file is created on a first start (no
 * marker yet) and is a problem once the gateway had created one (storeFiles.ts). This module
 * never moves, deletes or overwrites the file: what to do about a problem is the caller's.
 */
import { existsSync } from 'node:fs';
import { openDatabase, quickCheck, type Db } from './database.js';
import { hasMarker, writeMarker } from './storeFiles.js';
import { storeProblem, type StoreProblem } from './storeProblem.js';
import { rulesUnavailableMark, type RulesUnavailableMark } from './rulesUnavailableMark.js';

export type StoreOpening =
  | {
    ok: true;
    db: Db;
    /** this start created the file */
    created: boolean;
    /** set when this file was created in place of a lost or corrupt one and has no rules yet */
    pending: RulesUnavailableMark | null;
    /** how long quick_check took, ms (0 for a new file) */
    checkMs: number;
  }
  | { ok: false; problem: StoreProblem };

export interface StoreOpeningOptions {
  now: number;
  busyTimeoutMs?: number;
}

export function openStore(path: string, options: StoreOpeningOptions): StoreOpening {
  const exists = existsSync(path);
  if (!exists && hasMarker(path)) {
    return { ok: false, problem: { cause: 'missing', file: path, detail: 'the database file is gone, though this gateway had created it' } };
  }
  let db: Db;
  try {
    db = openDatabase(path, { busyTimeoutMs: options.busyTimeoutMs });
  } catch (err) {
    return { ok: false, problem: storeProblem(path, err) };
  }
  let checkMs = 0;
  try {
    if (exists) {
      const started = performance.now();
      const problems = quickCheck(db);
      checkMs = performance.now() - started;
      if (problems.length !== 1 || problems[0] !== 'ok') {
        db.close();
        return { ok: false, problem: { cause: 'corrupt', file: path, detail: `quick_check: ${problems.slice(0, 3).join('; ')}` } };
      }
    }
    const pending = rulesUnavailableMark(db);
    writeMarker(path, options.now, exists ? 'adopted' : 'created');
    return { ok: true, db, created: !exists, pending, checkMs };
  } catch (err) {
    db.close();
    return { ok: false, problem: storeProblem(path, err) };
  }
}
