/**
 * User and group names of the local system, read from /etc/passwd and /etc/group (the files
 * are the source NSS falls back to; a directory-backed user unknown here is reported by uid).
 */
import { readFileSync } from 'node:fs';

export interface SystemAccounts {
  /** the user name of a uid; null when no local account has it */
  userName(uid: number): string | null;
  /** the uid of a user name or a numeric uid as text; null when unknown */
  uidOf(nameOrUid: string): number | null;
  /** the gid of a group name or a numeric gid as text; null when unknown */
  gidOf(nameOrGid: string): number | null;
}

function entries(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

function idOf(rows: string[][], nameOrId: string): number | null {
  if (/^\d+$/.test(nameOrId)) return Number(nameOrId);
  const row = rows.find((r) => r[0] === nameOrId);
  return row && /^\d+$/.test(row[2] ?? '') ? Number(row[2]) : null;
}

/** Reads the account files each time it is asked (accounts change while the daemon runs). */
export function systemAccounts(passwd = '/etc/passwd', group = '/etc/group'): SystemAccounts {
  return {
    userName: (uid) => entries(passwd).find((r) => r[2] === String(uid))?.[0] ?? null,
    uidOf: (name) => idOf(entries(passwd), name),
    gidOf: (name) => idOf(entries(group), name),
  };
}
