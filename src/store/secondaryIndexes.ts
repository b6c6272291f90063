/**
 * Secondary indexes set aside while a snapshot loads into emptied tables, and built again after
 * it: one sort per index instead of a random B-tree insert per row, which makes loading a large
 * snapshot markedly faster (the figures: bench/README.md, "Measurements behind design choices"). SQLite's
 * DDL is transactional, so inside the caller's transaction a rollback brings them back as they were.
 * The definitions are read from the schema itself, so they cannot drift from the migrations.
 */
import type { Db } from './database.js';

export interface SecondaryIndex {
  name: string;
  table: string;
  unique: boolean;
  sql: string;
}

/** Drops the named (droppable) indexes of `tables`; returns what to build again. */
export function dropSecondaryIndexes(db: Db, tables: readonly string[]): SecondaryIndex[] {
  const indexes = db
    .prepare(`SELECT name, tbl_name AS "table", sql FROM sqlite_master
      WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (SELECT value FROM json_each(?)) ORDER BY name`)
    .all(JSON.stringify(tables)) as { name: string; table: string; sql: string }[];
  for (const index of indexes) db.exec(`DROP INDEX "${index.name}"`);
  return indexes.map((index) => ({ ...index, unique: /^CREATE UNIQUE INDEX/i.test(index.sql) }));
}

/**
 * Builds the indexes again. A unique index that no longer holds is reported to `violated`,
 * which returns the error to throw (one that names the offending records).
 */
export function createIndexes(db: Db, indexes: readonly SecondaryIndex[], violated: (index: SecondaryIndex) => Error): void {
  for (const index of indexes) {
    try {
      db.exec(index.sql);
    } catch (err) {
      if (index.unique && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw violated(index);
      throw err;
    }
  }
}
