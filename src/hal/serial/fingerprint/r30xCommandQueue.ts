/**
 * One R30x command outstanding at a time (a promise chain). Each waits `responseTimeoutMs` for
 * an acknowledgement of the length its instruction expects (or a 1-byte error code); any other
 * packet on the wire is dropped and counted, never taken as the answer. A timeout discards any
 * partial packet and rejects DEVICE_TIMEOUT; what that means for health is the sensor's call
 * (the `answered` and `timedOut` callbacks run before the command settles).
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import { R30X_OK, R30xPacketStream, confirmationName, encodeR30xCommand, type R30xInstruction, type R30xPacket } from './r30xPacket.js';

export interface R30xAck { code: number; data: Buffer }

export interface R30xCommandQueueOptions {
  /** names the reader in errors */
  id: string;
  address: number;
  responseTimeoutMs: number;
  clock: Clock;
  log: Logger;
  /** why no command can go out now (stopped, link closed), or null */
  unavailable(): GatewayError | null;
  write(bytes: Buffer): Promise<void>;
  /** the module answered the command outstanding */
  answered(): void;
  /** the command outstanding got no answer in time */
  timedOut(instruction: R30xInstruction): void;
}

interface Pending { instruction: R30xInstruction; resolve(ack: R30xAck): void; reject(err: Error): void; timer: TimerHandle }

/** acknowledgement payload length (confirmation code included) when the code is 0 */
const ACK_LENGTH: Record<R30xInstruction, number> = { VfyPwd: 1, GenImg: 1, Img2Tz: 1, Search: 5, RegModel: 1, Store: 1, DeletChar: 1, TemplateNum: 3 };

export class R30xCommandQueue {
  readonly counters = { commandsSent: 0, timeouts: 0, droppedBytes: 0, unexpectedPackets: 0 };
  private readonly stream: R30xPacketStream;
  private chain: Promise<unknown> = Promise.resolve();
  private pending: Pending | null = null;

  constructor(private readonly o: R30xCommandQueueOptions) {
    this.stream = new R30xPacketStream({ address: o.address, maxPayload: 16 });
  }

  awaitingResponse(): boolean {
    return this.pending !== null;
  }

  /** Sends after the commands before it settled; rejects DEVICE_OFFLINE, DEVICE_TIMEOUT or the write's error. */
  command(instruction: R30xInstruction, params: number[] = []): Promise<R30xAck> {
    const run = () => this.transact(instruction, params);
    const result = this.chain.then(run, run);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Bytes from the link. */
  receive(chunk: Buffer): void {
    const { items: packets, dropped } = this.stream.push(chunk);
    const droppedBytes = Object.values(dropped).reduce((a, b) => a + b, 0);
    if (droppedBytes) {
      this.counters.droppedBytes += droppedBytes;
      this.o.log.debug({ dropped }, 'dropped bytes that were not a valid packet');
    }
    for (const packet of packets) this.onPacket(packet);
  }

  /** Discards a partial packet (the link reopened or went down). */
  resync(): void {
    this.stream.reset();
  }

  /** Rejects the command outstanding with `err`. */
  failPending(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.o.clock.clearTimeout(p.timer);
    p.reject(err);
  }

  private transact(instruction: R30xInstruction, params: number[]): Promise<R30xAck> {
    const unavailable = this.o.unavailable();
    if (unavailable) return Promise.reject(unavailable);
    return new Promise<R30xAck>((resolve, reject) => {
      const timer = this.o.clock.setTimeout(() => this.onTimeout(), this.o.responseTimeoutMs);
      this.pending = { instruction, resolve, reject, timer };
      this.counters.commandsSent++;
      this.o.write(encodeR30xCommand(instruction, params, this.o.address)).catch((err: Error) => this.failPending(err));
    });
  }

  private onPacket(packet: R30xPacket): void {
    const p = this.pending;
    const { payload } = packet;
    const fits = p && packet.type === 'ack' && (payload.length === ACK_LENGTH[p.instruction] || (payload.length === 1 && payload[0] !== R30X_OK));
    if (!p || !fits) {
      this.counters.unexpectedPackets++;
      this.o.log.debug({ type: packet.type, length: payload.length }, 'dropped a packet nobody was waiting for');
      return;
    }
    this.o.clock.clearTimeout(p.timer);
    this.pending = null;
    this.o.answered();
    p.resolve({ code: payload[0]!, data: payload.subarray(1) });
  }

  private onTimeout(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    this.counters.droppedBytes += this.stream.reset();
    this.counters.timeouts++;
    this.o.timedOut(p.instruction);
    p.reject(new GatewayError('DEVICE_TIMEOUT', `fingerprint reader ${this.o.id}: no answer to ${p.instruction} within ${this.o.responseTimeoutMs} ms`, { id: this.o.id }));
  }
}

/** The module answered, but not with OK: DEVICE_ERROR naming the confirmation code. */
export function refusedError(id: string, what: string, code: number): GatewayError {
  return new GatewayError('DEVICE_ERROR', `fingerprint reader ${id}: ${what} (${confirmationName(code)})`, { id });
}
