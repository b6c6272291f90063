/**
 * Where the control socket lives, and the one file it may delete: our own stale socket. Before
 * listening: the path is not the database (or its -wal/-shm/-journal), its directory is not
 * writable by others (or, when group-writable, sticky) and belongs to root or to us, and whatever
 * is at the path is a socket nobody answers on. The socket is bound inside a private 0700
 * directory and hard-linked to its path (link never replaces a file), because libuv unlinks the
 * bound name on close whatever is there by then. At stop the path is removed only when it is
 * still the socket we made (same device and inode).
 */
import { chmodSync, chownSync, linkSync, lstatSync, mkdtempSync, readdirSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, type Server } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { GatewayError } from '../kernel/gatewayError.js';

/** sun_path is 108 bytes on Linux, including the terminating NUL */
const MAX_SOCKET_PATH = 107;
const PRIVATE_PREFIX = '.lockgw-listen-';
const FIELD = 'control.socket';

export interface BoundSocket {
  path: string;
  dev: number;
  ino: number;
  privateDir: string;
}

function refuse(message: string, hint?: string): never {
  throw new GatewayError('CONFIG_INVALID', message, { field: FIELD, ...(hint ? { hint } : {}) });
}

/** Throws CONFIG_INVALID (or UNAVAILABLE for a live socket) naming the path; deletes only a stale socket of ours. */
export async function clearSocketPath(path: string, dbPath: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    refuse(`the control socket path ${path} is longer than a Unix socket allows (${MAX_SOCKET_PATH} bytes)`, 'set control.socket to a short absolute path, e.g. /run/lockgw/lockgw.sock');
  }
  const db = resolve(dbPath);
  if (['', '-wal', '-shm', '-journal'].some((suffix) => resolve(path) === db + suffix)) {
    refuse(`the control socket path ${path} is the database file ${basename(path)}: refusing to use it`, 'set control.socket to its own name, e.g. lockgw.sock');
  }
  checkDirectory(dirname(path));
  removeStalePrivateDirs(dirname(path));
  let st;
  try {
    st = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    refuse(`cannot inspect the control socket path ${path}: ${(err as Error).message}`);
  }
  if (!st.isSocket()) refuse(`${path} exists and is not a socket: refusing to delete it to make the control socket`, 'remove it yourself if it is not needed, or set control.socket to another path');
  const answer = await probeSocket(path);
  if (answer === 'live') {
    throw new GatewayError('UNAVAILABLE', `another process answers on the control socket ${path} (is another lockgw daemon running?): leaving it alone`, { field: FIELD });
  }
  if (answer !== 'refused') refuse(`cannot tell whether ${path} is a stale socket (${answer}): leaving it alone`);
  const again = lstatSync(path);
  if (again.dev !== st.dev || again.ino !== st.ino) refuse(`${path} changed while it was checked: leaving it alone`);
  unlinkSync(path); // a stale socket from a previous run: nothing answers on it
}

function checkDirectory(dir: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch (err) {
    refuse(`the control socket's directory ${dir} cannot be used: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) refuse(`the control socket's directory ${dir} is not a directory`);
  if ((st.mode & 0o002) !== 0) refuse(`the control socket's directory ${dir} is writable by every user: refusing to listen there`, `chmod o-w ${dir}, or set control.socket to a directory of its own (e.g. /run/lockgw, mode 1770)`);
  if ((st.mode & 0o020) !== 0 && (st.mode & 0o1000) === 0) refuse(`the control socket's directory ${dir} is group-writable but not sticky: a member could replace the socket`, `chmod +t ${dir}`);
  const me = process.getuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== me) refuse(`the control socket's directory ${dir} belongs to uid ${st.uid}, not to root or to the daemon (uid ${me})`);
}

/** Empty private directories left by a daemon that crashed (ours, by owner and name); rmdir removes only empty ones. */
function removeStalePrivateDirs(dir: string): void {
  const me = process.getuid?.() ?? 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(PRIVATE_PREFIX)) continue;
    try {
      const st = lstatSync(join(dir, name));
      if (st.isDirectory() && st.uid === me) rmdirSync(join(dir, name));
    } catch {
      // not empty or not ours: left alone
    }
  }
}

/** Whether a daemon listens on the socket at `path`: `live`, `refused` (nothing listens), or the error code. */
export function probeSocket(path: string): Promise<'live' | 'refused' | string> {
  return new Promise((resolvePromise) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise('live');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.destroy();
      resolvePromise(err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'EAGAIN' ? 'live' : (err.code ?? err.message));
    });
  });
}

/** Binds `server` inside a private directory, sets mode 0660 (and the group), then links it to `path`. */
export async function listenAt(server: Server, path: string, gid: number | null): Promise<BoundSocket> {
  const privateDir = mkdtempSync(join(dirname(path), PRIVATE_PREFIX));
  const bound = join(privateDir, 's');
  try {
    if (Buffer.byteLength(bound) > MAX_SOCKET_PATH) refuse(`the control socket's directory ${dirname(path)} is too deep for a Unix socket (${MAX_SOCKET_PATH} bytes)`);
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(bound, () => {
        server.off('error', reject);
        resolvePromise();
      });
    });
    chmodSync(bound, 0o660);
    if (gid !== null) chownSync(bound, -1, gid);
    try {
      linkSync(bound, path);
    } catch (err) {
      refuse(`cannot create the control socket ${path}: ${(err as NodeJS.ErrnoException).code === 'EEXIST' ? 'something appeared there while it was checked' : (err as Error).message}`);
    }
    unlinkSync(bound);
    const st = lstatSync(path);
    return { path, dev: st.dev, ino: st.ino, privateDir };
  } catch (err) {
    await new Promise<void>((r) => server.close(() => r()));
    removeSilently(bound);
    rmdirSilently(privateDir);
    throw err;
  }
}

/** After the server closed: removes the path only if it is still our socket, and the private directory. */
export function releaseSocket(socket: BoundSocket): void {
  try {
    const st = lstatSync(socket.path);
    if (st.isSocket() && st.dev === socket.dev && st.ino === socket.ino) unlinkSync(socket.path);
  } catch {
    // gone already
  }
  rmdirSilently(socket.privateDir);
}

function removeSilently(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // never bound, or already gone
  }
}

function rmdirSilently(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // someone put something in it: left alone
  }
}
