/**
 * Executes verified remote commands and writes their command_response (messages.ts).
 *
 * - A retained command is never executed (result 'invalid'): a retained message is one the broker
 *   kept from the past, and a stale unlock must not open a door when the gateway (re)subscribes.
 * - Replay protection: a command whose correlationId or token jti was already handled is not
 *   executed again; the answer is 'duplicate' with the first answer's result in
 *   `data.originalResult`. Handled commands are remembered until their token's exp plus
 *   `replayWindowMs` (default 5 minutes; the token is refused as expired after that anyway), at
 *   most `maxRemembered` (default 10,000; expired entries go first, then the oldest). Every
 *   outcome is remembered, refusals too: a retry is a new command with a new correlationId.
 *   With a `ledger` the memory survives a restart (replayMemory.ts): a command handled before the
 *   restart gets the same 'duplicate' answer after it. A remembered answer that cannot be read
 *   back still refuses the command, with `originalResult: 'unknown'`.
 * - A target that throws GatewayError('UNAVAILABLE') gives 'unavailable', any other throw
 *   'failed'; the response carries the error's message, never a stack.
 * - handle() and rejected() never throw, and what they return passes CommandResponseSchema.
 */
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { isGatewayError } from '../kernel/gatewayError.js';
import type { IssuePath } from '../wire/cloudMessageCodec.js';
import { rejectionResult } from './commandRejection.js';
import { COMMAND_RESULTS, type Command, type CommandResponse, type CommandResult } from '../wire/messages.js';
import type { ReplayLedger } from './replayLedger.js';
import { ReplayMemory } from './replayMemory.js';

/** What commands act on: the doors and the sync engine, as the composition root wires them. */
export interface CommandTarget {
  hasDoor(doorId: string): boolean;
  /** unlock a door for ms (remote unlock); throws GatewayError when the door cannot (e.g. code 'UNAVAILABLE' in fire/lockdown/actuator offline) */
  unlockDoor(doorId: string, ms: number, correlationId: string): void;
  /** lockdown on/off for one door, or for the site when doorId is null */
  setLockdown(doorId: string | null, on: boolean): void;
  /** ask the sync engine for a full snapshot; returns the sync_request transaction id */
  requestResync(): string;
  /** the gateway's status report (the status command's data) */
  status(): Record<string, unknown>;
}

export interface CommandClaims {
  jti: string;
  /** NumericDate: seconds since the epoch */
  exp: number;
  iat: number;
}

export interface CommandHandlerOptions {
  target: CommandTarget;
  clock: Clock;
  logger: Logger;
  /** how long after its token's exp a command is remembered; default 5 minutes */
  replayWindowMs?: number;
  /** the most commands remembered (each by correlationId and jti); default 10,000 */
  maxRemembered?: number;
  /** where handled commands are written down to be recognised after a restart; without it, memory only */
  ledger?: ReplayLedger;
}

const DEFAULT_REPLAY_WINDOW_MS = 5 * 60_000;
const DEFAULT_MAX_REMEMBERED = 10_000;
const MAX_MESSAGE = 1000;

type Outcome = { result: CommandResult; message: string; data?: Record<string, unknown> };

export class CommandHandler {
  private readonly options: CommandHandlerOptions;
  private readonly log: Logger;
  private readonly seen: ReplayMemory;

  constructor(options: CommandHandlerOptions) {
    this.options = options;
    this.log = options.logger.child({ module: 'cloud:commands' });
    // each command is remembered twice: by its correlationId and by its token's jti
    this.seen = new ReplayMemory({
      maxEntries: 2 * (options.maxRemembered ?? DEFAULT_MAX_REMEMBERED), clock: options.clock, logger: options.logger,
      ...(options.ledger === undefined ? {} : { ledger: options.ledger }),
    });
  }

  /** Reads back the commands handled before a restart (see ReplayMemory.start). */
  async start(): Promise<void> {
    await this.seen.start();
  }

  async stop(): Promise<void> {
    await this.seen.stop();
  }

  /** Executes a verified command (unless retained or a replay) and returns its response. */
  handle(command: Command, claims: CommandClaims, meta: { retained: boolean }): CommandResponse {
    const { correlationId, name } = command;
    const now = this.options.clock.now();
    if (meta.retained) {
      return this.respond(command, { result: 'invalid', message: 'retained commands are ignored: a command must be published without the retain flag' }, { jti: claims.jti });
    }
    const memory = this.seen;
    const remembered = memory.get(`c:${correlationId}`, now) ?? memory.get(`j:${claims.jti}`, now);
    if (remembered !== undefined) {
      const original = knownResult(remembered) ? remembered : 'unknown';
      const outcome: Outcome = { result: 'duplicate', message: `command ${correlationId} was already handled; not executed again`, data: { originalResult: original } };
      return this.respond(command, outcome, { jti: claims.jti, originalResult: original });
    }
    const outcome = this.execute(command);
    const expiresAt = Math.max(claims.exp * 1000, now) + (this.options.replayWindowMs ?? DEFAULT_REPLAY_WINDOW_MS);
    memory.set([`c:${correlationId}`, `j:${claims.jti}`], outcome.result, expiresAt, now);
    return this.respond(command, outcome, { jti: claims.jti, ...(name === 'unlock' ? { doorId: command.doorId } : {}) });
  }

  /**
   * The response to a command that failed verification or validation. `reason` is the
   * DecodeFailureReason, `path` (optional) the schema failure's path; see commandRejection.ts.
   */
  rejected(reason: string, detail: string, correlationId: string | null, path?: Readonly<IssuePath>): CommandResponse {
    const result = rejectionResult(reason, detail, path);
    const response: CommandResponse = { correlationId, result, message: clip(`command rejected (${reason}): ${detail}`) };
    this.log.warn({ correlationId, reason, result }, 'command rejected');
    return response;
  }

  private execute(command: Command): Outcome {
    const { target } = this.options;
    try {
      switch (command.name) {
        case 'unlock': {
          if (!target.hasDoor(command.doorId)) return unknownDoor(command.doorId);
          const ms = command.seconds * 1000;
          target.unlockDoor(command.doorId, ms, command.correlationId);
          return { result: 'ok', message: `door ${command.doorId} unlocked for ${command.seconds} s` };
        }
        case 'lockdown': {
          const doorId = command.scope === 'door' ? command.doorId! : null;
          if (doorId !== null && !target.hasDoor(doorId)) return unknownDoor(doorId);
          target.setLockdown(doorId, command.active);
          const where = doorId === null ? 'site' : `door ${doorId}`;
          return { result: 'ok', message: `${where} lockdown ${command.active ? 'on' : 'off'}` };
        }
        case 'resync': {
          const transaction = target.requestResync();
          return { result: 'ok', message: 'full snapshot requested', data: { transaction } };
        }
        case 'status':
          return { result: 'ok', message: 'status report', data: target.status() };
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (isGatewayError(err, 'UNAVAILABLE')) return { result: 'unavailable', message };
      this.log.error({ code: isGatewayError(err) ? err.code : undefined, name: command.name, correlationId: command.correlationId }, `command failed: ${message}`);
      return { result: 'failed', message };
    }
  }

  private respond(command: Command, outcome: Outcome, logFields: Record<string, unknown>): CommandResponse {
    this.log.info({ name: command.name, correlationId: command.correlationId, result: outcome.result, ...logFields }, 'command handled');
    const response: CommandResponse = { correlationId: command.correlationId, result: outcome.result, message: clip(outcome.message) };
    if (outcome.data !== undefined) response.data = outcome.data;
    return response;
  }
}

function knownResult(value: string): value is CommandResult {
  return (COMMAND_RESULTS as readonly string[]).includes(value);
}

function unknownDoor(doorId: string): Outcome {
  return { result: 'unknown_door', message: `no door ${doorId} on this gateway` };
}

function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}
