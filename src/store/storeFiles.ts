/**
 * The files around the gateway's SQLite file: its -wal and -shm companions, the marker that says
 * the gateway created (or adopted) the database at this path, and setting a file aside under a
 * new name. Nothing here deletes or overwrites a file: a rename is a hard link to a name that
 * must not exist yet (link fails with EEXIST) followed by removing the old name.
 */
import { existsSync, linkSync, unlinkSync, writeFileSync } from 'node:fs';

/** The database and the companions SQLite keeps beside it, in that order. */
export function companions(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`];
}

/**
 * The marker `<file>.created`: written when the gateway creates the database (or first opens one
 * it did not create), so that a later start without the file knows it was lost, not never made.
 */
export function markerPath(path: string): string {
  return `${path}.created`;
}

export function hasMarker(path: string): boolean {
  return existsSync(markerPath(path));
}

export function writeMarker(path: string, now: number, how: 'created' | 'adopted'): void {
  if (hasMarker(path)) return;
  writeFileSync(markerPath(path), `${JSON.stringify({ [how]: new Date(now).toISOString(), by: 'lockgw' })}\n`, { flag: 'wx' });
}

/** `2026-12-07T12:00:00.123Z` → `20261207T120000Z`, for file names. */
export function fileStamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** Renames `from` to `to` only if `to` does not exist. Returns false (and renames nothing) if it does. */
export function renameIfAbsent(from: string, to: string): boolean {
  try {
    linkSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  unlinkSync(from);
  return true;
}

/**
 * Sets the database and its -wal/-shm aside as `<file>.<label>-<stamp>` (with `-wal`/`-shm` after
 * it, so SQLite opens the set-aside copy with its own WAL). A name already taken gets `.2`, `.3`….
 * Returns the new names of the files that existed.
 */
export function setAside(path: string, label: string, now: number): string[] {
  const base = `${path}.${label}-${fileStamp(now)}`;
  for (let n = 1; ; n += 1) {
    const target = n === 1 ? base : `${base}.${n}`;
    if (companions(target).some((f) => existsSync(f))) continue;
    const moved: string[] = [];
    companions(path).forEach((file, i) => {
      if (!existsSync(file)) return;
      const to = companions(target)[i]!;
      if (!renameIfAbsent(file, to)) throw new Error(`${to} appeared while setting ${path} aside`);
      moved.push(to);
    });
    return moved;
  }
}
