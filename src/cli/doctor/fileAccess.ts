/**
 * Why this process cannot read a file, said precisely: "cannot read: owned by lockgw (uid 998),
 * mode 0600, you are uid 1000 (pi)" — so a permission problem is never mistaken for a lost file.
 */
import { accessSync, constants, statSync } from 'node:fs';
import type { SystemAccounts } from '../../control/userNames.js';

export type FileAccess = { state: 'readable'; mode: number } | { state: 'missing' } | { state: 'unreadable'; why: string };

export function fileAccess(path: string, accounts: SystemAccounts, uid = process.getuid?.() ?? 0): FileAccess {
  let mode: number;
  let owner: number;
  try {
    const st = statSync(path);
    mode = st.mode & 0o7777;
    owner = st.uid;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'missing' };
    // the directory on the way cannot be searched
    return { state: 'unreadable', why: `cannot reach it (${code ?? (err as Error).message}): a directory on its path is not searchable by uid ${uid}${named(accounts, uid)}` };
  }
  try {
    accessSync(path, constants.R_OK);
    return { state: 'readable', mode };
  } catch {
    return {
      state: 'unreadable',
      why: `cannot read: owned by ${accounts.userName(owner) ?? 'uid'} (uid ${owner}), mode ${mode.toString(8).padStart(4, '0')}, you are uid ${uid}${named(accounts, uid)}`,
    };
  }
}

function named(accounts: SystemAccounts, uid: number): string {
  const name = accounts.userName(uid);
  return name ? ` (${name})` : '';
}
