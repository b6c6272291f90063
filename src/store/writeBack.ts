/**
 * Writes a database whose file was deleted or replaced back from the handle still open on it, in
 * two steps around closing that handle:
 *  1. saveCopy: `VACUUM INTO` a new file beside the path (every committed row, the WAL's
 *     included), fsynced.
 *  2. the caller closes the old handle. SQLite does not checkpoint a database whose file has
 *     moved, and leaves its `<path>-wal` and `-shm` behind.
 *  3. putBack: those leftovers (the old handle's own, told by their inode) are set aside as
 *     `<path>.stale-<stamp>-wal`/`-shm`, since SQLite would replay a WAL left at the path into
 *     whatever file is put there; then the copy takes the path only if the path is still free.
 *     A path someone filled meanwhile is never overwritten: the copy stays under its own name.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Db } from './database.js';
import { companions, fileStamp, renameIfAbsent } from './storeFiles.js';

export interface WriteBack {
  /** where the live database now is: `path` itself, or the saved copy beside it */
  file: string;
  /** true when the copy took the path back */
  restored: boolean;
}

/** Step 1: the live database as a new file `<path>.saved-<stamp>`; returns its name. */
export function saveCopy(db: Db, path: string, now: number): string {
  mkdirSync(dirname(path), { recursive: true });
  const base = `${path}.saved-${fileStamp(now)}`;
  let copy = base;
  for (let n = 2; companions(copy).some((f) => existsSync(f)); n += 1) copy = `${base}.${n}`;
  db.prepare('VACUUM INTO ?').run(copy);
  const fd = openSync(copy, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return copy;
}

/**
 * Step 3 (after the old handle is closed): `leftovers` (the old handle's -wal/-shm still at the
 * path) set aside, then the copy takes `path` if nothing is there.
 */
export function putBack(copy: string, path: string, leftovers: readonly string[], now: number): WriteBack & { setAside: string[] } {
  const setAside: string[] = [];
  for (const file of leftovers) {
    const to = `${path}.stale-${fileStamp(now)}${file.slice(path.length)}`;
    if (renameIfAbsent(file, to)) setAside.push(to);
  }
  const restored = renameIfAbsent(copy, path);
  return { file: restored ? path : copy, restored, setAside };
}
