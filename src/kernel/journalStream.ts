/**
 * Whether a file descriptor is systemd's journal, and the journal priority of a pino level.
 * systemd sets JOURNAL_STREAM=<device>:<inode> for a service whose stdout/stderr go to the
 * journal (systemd.exec(5)); a process that sees its fd match it may prefix each line with
 * `<N>` (sd-daemon(3)) and journald stores the line at priority N instead of the unit's default.
 */
import { fstatSync } from 'node:fs';

/** True when `fd` is the stream JOURNAL_STREAM names (false when unset, malformed, or another file). */
export function isJournalStream(fd: number, env: NodeJS.ProcessEnv): boolean {
  const match = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!match) return false;
  try {
    const st = fstatSync(fd, { bigint: true });
    return st.dev === BigInt(match[1]!) && st.ino === BigInt(match[2]!);
  } catch {
    return false; // a closed fd is not the journal
  }
}

/**
 * syslog priorities (sd-daemon(3)): fatal → 2 crit, error → 3 err, warn → 4 warning, info → 6
 * info, debug and trace → 7 debug. `journalctl -p warning` shows warnings and worse.
 */
export function journalPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}
