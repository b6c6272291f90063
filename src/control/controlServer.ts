/**
 * The daemon's side of the control socket (docs/control-socket.md): a Unix socket, mode 0660 and
 * group `control.group`, that deletes nothing but its own stale socket (socketPlace.ts), serves a
 * bounded number of connections, each bounded in what it may make the daemon hold
 * (controlConnection.ts), and answers requests (controlRequests.ts).
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import { ControlConnection } from './controlConnection.js';
import type { RequestContext } from './controlRequests.js';
import type { ControlTarget } from './controlTarget.js';
import { clearSocketPath, listenAt, releaseSocket, type BoundSocket } from './socketPlace.js';
import { systemAccounts, type SystemAccounts } from './userNames.js';

/** connections served at once; one more is told BUSY and closed */
export const MAX_CONNECTIONS = 32;
/** a connection with no request for this long is closed */
export const IDLE_MS = 60_000;
/** replies a client has not read, past which the daemon stops reading its requests */
export const MAX_UNREAD_BYTES = 64 * 1024;

export interface ControlServerOptions {
  /** the socket's absolute path */
  path: string;
  /** the SQLite file: the socket may never be it (or its -wal, -shm, -journal) */
  dbPath: string;
  target: ControlTarget;
  clock: Clock;
  logger: Logger;
  /** the socket's group (name or gid); null keeps the daemon's group */
  group?: string | null;
  /** users (names or uids) who may act on real doors, besides root and the daemon's own user */
  operators?: readonly string[];
  /** where user and group names come from; default /etc/passwd and /etc/group */
  accounts?: SystemAccounts;
}

export interface ControlServerStats {
  connections: number;
  /** bytes held for all clients: unread replies and unparsed requests */
  bufferedBytes: number;
  /** connections refused with BUSY since start */
  refusedBusy: number;
}

export class ControlServer extends EventEmitter<{ paused: [bufferedBytes: number]; busy: []; dropped: [unreadBytes: number] }> {
  private server: Server | null = null;
  private bound: BoundSocket | null = null;
  private readonly connections = new Set<ControlConnection>();
  private refusedBusy = 0;
  private readonly log: Logger;

  constructor(private readonly options: ControlServerOptions) {
    super();
    this.log = options.logger.child({ module: 'control' });
  }

  async start(): Promise<void> {
    const { path, dbPath, clock, target } = this.options;
    const accounts = this.options.accounts ?? systemAccounts();
    const group = this.options.group ?? null;
    const gid = group === null ? null : accounts.gidOf(group);
    if (gid === null && group !== null) throw new GatewayError('CONFIG_INVALID', `control.group ${group} is not a group of this system`, { field: 'control.group' });
    const operatorUids = new Set<number>();
    for (const [i, name] of (this.options.operators ?? []).entries()) {
      const uid = accounts.uidOf(name);
      if (uid === null) throw new GatewayError('CONFIG_INVALID', `control.operators[${i}]: ${name} is not a user of this system`, { field: `control.operators.${i}` });
      operatorUids.add(uid);
    }
    await clearSocketPath(path, dbPath);
    const ctx: RequestContext = { target, clock, logger: this.log, accounts, proofDir: dirname(path), operatorUids };
    const server = createServer((socket) => this.accept(socket, ctx));
    this.bound = await listenAt(server, path, gid);
    this.server = server;
    this.log.info({ path, group, operators: operatorUids.size }, 'control socket listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    const bound = this.bound;
    this.server = null;
    this.bound = null;
    if (!server || !bound) return;
    for (const c of this.connections) c.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    releaseSocket(bound);
  }

  stats(): ControlServerStats {
    let bufferedBytes = 0;
    for (const c of this.connections) bufferedBytes += c.bufferedBytes();
    return { connections: this.connections.size, bufferedBytes, refusedBusy: this.refusedBusy };
  }

  private accept(socket: Socket, ctx: RequestContext): void {
    if (this.connections.size >= MAX_CONNECTIONS) {
      this.refusedBusy += 1;
      socket.on('error', () => socket.destroy());
      socket.write(`${JSON.stringify({ ok: false, code: 'BUSY', error: `the control socket serves ${MAX_CONNECTIONS} connections at once: try again` })}\n`);
      socket.destroySoon();
      if (this.refusedBusy === 1 || this.refusedBusy % 1000 === 0) this.log.warn({ refused: this.refusedBusy }, 'control socket busy: connection refused');
      this.emit('busy');
      return;
    }
    const connection: ControlConnection = new ControlConnection(socket, ctx, this.options.clock, { idleMs: IDLE_MS, maxUnreadBytes: MAX_UNREAD_BYTES }, {
      paused: (bytes) => this.emit('paused', bytes),
      dropped: (bytes) => {
        this.log.warn({ unreadBytes: bytes }, 'control stream dropped: the client does not read it');
        this.emit('dropped', bytes);
      },
      closed: () => this.connections.delete(connection),
    });
    this.connections.add(connection);
    connection.start();
  }
}
