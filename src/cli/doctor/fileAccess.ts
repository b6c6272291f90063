/**
 * Why this process cannot read a file, said precisely: "cannot read: owned by lockgw (uid 998),
 * mode 0600, you are uid 1000 (pi)" — so a permission problem is never mistaken for a lost file.
 */
import { statSync } from 'node:fs';
import type { SystemAccounts } from '../../control/userNames.js';

export type FileAccess = { state: 'readable'; mode: number } | { state: 'missing' } | { state: 'unreadable'; why: string };

/** Who asks: this process by default (a test asks as another user). */
export interface Asker {
  uid: number;
  gids: readonly number[];
}

export function thisProcess(): Asker {
  return { uid: process.getuid?.() ?? 0, gids: process.getgroups?.() ?? [] };
}

/** The permission bits say whether `asker` may read a file it owns, shares a group with, or neither (root reads all). */
function mayRead(mode: number, owner: number, group: number, asker: Asker): boolean {
  if (asker.uid === 0) return true;
  if (asker.uid === owner) return (mode & 0o400) !== 0;
  if (asker.gids.includes(group)) return (mode & 0o040) !== 0;
  return (mode & 0o004) !== 0;
}

export function fileAccess(path: string, accounts: SystemAccounts, asker: Asker = thisProcess()): FileAccess {
  const { uid } = asker;
  let mode: number;
  let owner: number;
  let group: number;
  try {
    const st = statSync(path);
    mode = st.mode & 0o7777;
    owner = st.uid;
    group = st.gid;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    // the directory on the way cannot be searched
    return { state: 'unreadable', why: `cannot reach it (${code ?? (err as Error).message}): a directory on its path is not searchable by uid ${uid}${named(accounts, uid)}` };
  }
  if (mayRead(mode, owner, group, asker)) return { state: 'readable', mode };
  return {
    state: 'unreadable',
    why: `cannot read: owned by ${accounts.userName(owner) ?? 'uid'} (uid ${owner}), mode ${mode.toString(8).padStart(4, '0')}, you are uid ${uid}${named(accounts, uid)}`,
  };
}

function named(accounts: SystemAccounts, uid: number): string {
  const name = accounts.userName(uid);
  return name ? ` (${name})` : '';
}
