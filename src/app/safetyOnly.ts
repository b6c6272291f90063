/**
 * Safety-only mode (docs/door-path.md): the database cannot be used, so the doors run without
 * rules. Fire/egress release and request-to-exit work as always; every credential is denied
 * `rules_unavailable`. This file holds what the mode says about itself: the state, the recovery
 * advice for each cause, the one error line, and the status file `lockgw status` and
 * `lockgw doctor` read (written by the daemon, removed once the rules are back).
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { StoreProblem } from '../store/storeProblem.js';
import { markerPath } from '../store/storeFiles.js';

export interface SafetyOnlyState extends StoreProblem {
  /** when the problem was found (ISO 8601) */
  since: string;
  /** where a corrupt file was set aside (kept, never deleted) */
  setAside: string[];
  /**
   * durable: a new database at the normal path holds this mode's journal (and takes the rules
   * when they arrive); volatile: the file is left as it is and the journal is in memory only
   */
  journal: 'durable' | 'volatile';
  /** what to do, in words for an installer */
  recovery: string;
}

/** The file in the data directory that says the daemon runs in safety-only mode. */
export const SAFETY_STATUS_FILE = 'safety-only.json';

/** What to do about `problem`, given where the file went and who owns the rules. */
export function recoveryAdvice(problem: StoreProblem, setAside: readonly string[], cloudManaged: boolean): string {
  const file = problem.file;
  const refill = cloudManaged
    ? 'The rules come back with the cloud\'s next snapshot (the gateway asks for one when it connects): check the cloud link. Or'
    : 'Restore the rules:';
  const fromBackup = `stop lockgw, copy a backup of the database to ${file}, start lockgw (there is no lockgw restore command yet)`;
  switch (problem.cause) {
    case 'corrupt':
      if (setAside.length === 0) return `The corrupt file could not be set aside and is left at ${file}; this mode's events are kept in memory only. Stop lockgw, move ${file} away (keep it), then ${fromBackup.replace('stop lockgw, ', '')}, or start lockgw without it: it then runs safety-only on a new database until rules arrive.`;
      return `The corrupt file was set aside as ${setAside[0]} and is kept. ${refill} ${fromBackup}.`;
    case 'missing':
      return `${refill} ${fromBackup}. To start afresh on purpose instead, stop lockgw and remove ${markerPath(file)} and ${file}.`;
    case 'locked':
      return `Another process holds a lock on ${file}: find it (fuser -v ${file}), stop it, then restart lockgw. The file was not touched; this mode's events are kept in memory only.`;
    case 'unreadable':
      return `Make ${file} readable and writable by the lockgw user (chown lockgw:lockgw, chmod 0600), then restart lockgw. The file was not touched; this mode's events are kept in memory only.`;
    case 'too_new':
      return `Run the lockgw version that wrote ${file}, or restore a backup made by this version. The file was not touched; this mode's events are kept in memory only.`;
  }
}

/** The error line of the mode: the file, the cause and the recovery. */
export function announceSafetyOnly(log: Logger, state: SafetyOnlyState): void {
  log.error(
    { file: state.file, cause: state.cause, detail: state.detail, setAside: state.setAside, journal: state.journal },
    `SAFETY-ONLY MODE: the database ${state.file} is ${state.cause} (${state.detail}). Fire release and request-to-exit work; every credential is denied (rules_unavailable). ${state.recovery}`,
  );
}

export function writeSafetyStatus(dataDir: string, state: SafetyOnlyState, log: Logger): void {
  try {
    writeFileSync(join(dataDir, SAFETY_STATUS_FILE), `${JSON.stringify({ ...state, pid: process.pid }, null, 2)}\n`);
  } catch (err) {
    log.error({ code: (err as NodeJS.ErrnoException).code }, `cannot write ${SAFETY_STATUS_FILE}: lockgw status will not show the safety-only mode`);
  }
}

/** Removes the status file (the daemon's own) once the gateway runs normally. */
export function clearSafetyStatus(dataDir: string): void {
  const file = join(dataDir, SAFETY_STATUS_FILE);
  if (existsSync(file)) unlinkSync(file);
}

/** The daemon's safety-only state as its status file says, or null when there is none (or it does not parse). */
export function readSafetyStatus(dataDir: string): (SafetyOnlyState & { pid?: number }) | null {
  try {
    return JSON.parse(readFileSync(join(dataDir, SAFETY_STATUS_FILE), 'utf8')) as SafetyOnlyState & { pid?: number };
  } catch {
    return null;
  }
}

/** The mode as lines for people (`lockgw status`, `lockgw doctor`). */
export function safetyOnlyLines(state: SafetyOnlyState): string[] {
  return [
    `SAFETY-ONLY MODE since ${state.since}: the database ${state.file} is ${state.cause}`,
    `  why:       ${state.detail}`,
    '  doors:     fire release and request-to-exit work; every credential is denied (rules_unavailable)',
    `  journal:   ${state.journal === 'durable' ? `a new database at ${state.file}` : 'in memory only: lost when lockgw stops'}`,
    ...(state.setAside.length > 0 ? [`  kept as:   ${state.setAside.join(', ')}`] : []),
    `  recovery:  ${state.recovery}`,
  ];
}
