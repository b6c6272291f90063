/**
 * The caller's uid, proved by file ownership (Node has no SO_PEERCRED): the daemon hands out a
 * random challenge; the client creates `<socket dir>/.auth-<challenge>` holding the challenge;
 * the kernel stamps the creator's uid on the file, and nobody can create a file owned by another
 * user. The daemon opens it without following links and accepts it only as a regular file with
 * one link, writable by its owner alone, holding exactly the challenge. A renamed or hard-linked
 * file of another caller holds another challenge (and a sticky directory forbids the rename).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { proofFileName } from '../wire/controlProtocol.js';

export type ProofOutcome = { ok: true; uid: number } | { ok: false; reason: string };

export function checkProof(dir: string, challenge: string): ProofOutcome {
  const path = join(dir, proofFileName(challenge));
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: code === 'ENOENT' ? `no proof file ${path}` : code === 'ELOOP' ? `${path} is a symbolic link` : `cannot open ${path}: ${code}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, reason: `${path} is not a regular file` };
    if (st.nlink !== 1) return { ok: false, reason: `${path} has ${st.nlink} links (a proof file is created, not linked)` };
    if ((st.mode & 0o022) !== 0) return { ok: false, reason: `${path} is writable by others than its owner` };
    const expected = Buffer.from(challenge);
    const content = Buffer.alloc(expected.length + 1);
    const read = readSync(fd, content, 0, content.length, 0);
    if (read !== expected.length || !content.subarray(0, read).equals(expected)) return { ok: false, reason: `${path} does not hold this connection's challenge` };
    removeIfSame(path, st.dev, st.ino);
    return { ok: true, uid: st.uid };
  } finally {
    closeSync(fd);
  }
}

/** The daemon removes the proof when it can (it owns the directory); the client removes it too. */
function removeIfSame(path: string, dev: number, ino: number): void {
  try {
    const now = lstatSync(path);
    if (now.dev === dev && now.ino === ino) unlinkSync(path);
  } catch {
    // already gone, or not ours to remove: the client removes its own file
  }
}
