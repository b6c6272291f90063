/**
 * The daemon's side of the control socket. Each request drives the simulated devices (exactly as
 * a card, a keypad or a door contact would) and answers with the journal events it caused.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { GatewayError, isGatewayError } from '../kernel/gatewayError.js';
import { ControlRequestSchema, MAX_REQUEST_BYTES, type ControlRequest, type ControlResponse } from '../wire/controlProtocol.js';
import type { ControlTarget } from './controlTarget.js';

/** sun_path is 108 bytes on Linux, including the terminating NUL */
const MAX_SOCKET_PATH = 107;

export class ControlServer {
  private server: Server | null = null;
  private readonly log: Logger;

  constructor(
    private readonly path: string,
    private readonly target: ControlTarget,
    logger: Logger,
  ) {
    this.log = logger.child({ module: 'control' });
  }

  async start(): Promise<void> {
    if (Buffer.byteLength(this.path) > MAX_SOCKET_PATH) {
      throw new GatewayError('CONFIG_INVALID', `the control socket path ${this.path} is longer than a Unix socket allows (${MAX_SOCKET_PATH} bytes)`, {
        field: 'control.socket', hint: 'set control.socket to a short absolute path, e.g. /run/lockgw/lockgw.sock',
      });
    }
    if (existsSync(this.path)) unlinkSync(this.path); // a stale socket from a previous run
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o660);
    this.server = server;
    this.log.info({ path: this.path }, 'control socket listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (existsSync(this.path)) unlinkSync(this.path);
  }

  private serve(socket: Socket): void {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_REQUEST_BYTES && !buffer.includes('\n')) {
        socket.end(`${JSON.stringify({ ok: false, code: 'INPUT_INVALID', error: `request longer than ${MAX_REQUEST_BYTES} bytes` })}\n`);
        return;
      }
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        socket.write(`${JSON.stringify(this.handleLine(line))}\n`);
      }
    });
  }

  handleLine(line: string): ControlResponse {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return { ok: false, code: 'INPUT_INVALID', error: 'a request is one line of JSON' };
    }
    const parsed = ControlRequestSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return { ok: false, code: 'INPUT_INVALID', error: `${issue.path.join('.') || 'request'}: ${issue.message}` };
    }
    try {
      return this.handle(parsed.data);
    } catch (err) {
      if (isGatewayError(err)) return { ok: false, code: err.code, error: err.message };
      this.log.error({ err }, 'control request failed');
      return { ok: false, code: 'INTERNAL', error: (err as Error).message };
    }
  }

  private handle(request: ControlRequest): ControlResponse {
    const g = this.target;
    if (request.command === 'status') return { ok: true, timeZone: g.timeZone(), doors: g.doorStatuses() };
    const before = g.lastEventSeq();
    const note = this.drive(request);
    const events = g.eventsAfter(before, 100);
    return { ok: true, timeZone: g.timeZone(), events, ...(note ? { note } : {}) };
  }

  /** Drives one simulated device; returns a note when nothing was delivered. */
  private drive(request: Exclude<ControlRequest, { command: 'status' }>): string | undefined {
    const g = this.target;
    if (request.command === 'lockdown') {
      g.setLockdown(request.door, request.on);
      return undefined;
    }
    const sim = g.simulated;
    if (request.command === 'fire') {
      if (!sim?.fire) return 'this gateway has no simulated fire input';
      return undelivered(sim.fire.set(request.active));
    }
    const door = sim?.doors.get(request.door);
    if (!door) {
      const known = sim ? [...sim.doors.keys()].join(', ') : 'none';
      return `door ${request.door} has no simulated devices (simulated doors: ${known})`;
    }
    switch (request.command) {
      case 'present':
        return undelivered(door.cardReader.present(request.card));
      case 'keys':
        return undelivered(door.keypad.press(request.keys));
      case 'finger':
        return undelivered(door.fingerprintReader.touch(request.slot, request.confidence));
      case 'phone':
        return undelivered(door.mobileReader.tap(request.keyId));
      case 'door':
        return undelivered(door.contact.set(request.position === 'open'));
      case 'rex':
        return undelivered(door.rex.pulse());
    }
  }
}

function undelivered(result: { delivered: boolean; reason?: string }): string | undefined {
  return result.delivered ? undefined : `not delivered: ${result.reason ?? 'unknown'}`;
}
