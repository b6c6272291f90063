/**
 * What each control request does. `sim` verbs drive simulated devices only and fail (ok: false,
 * with a stable code) when they cannot: NOT_FOUND for a door the gateway does not run,
 * UNAVAILABLE for a door without simulated devices or a fire input that is not simulated (or a
 * site with real doors, which has none), DEVICE_OFFLINE when the
 * device is not started or offline so nothing was delivered. `lockdown` acts on real doors and
 * is answered only for a proven operator (NOT_AUTHORISED otherwise, and journaled). The requests
 * answered by a stream of lines (watch, doorTest, learn, fingerprint) are handed back to the
 * connection, which runs them (controlStreams.ts) once `operatorFor` has let them through.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../kernel/clock.js';
import { GatewayError, isGatewayError } from '../kernel/gatewayError.js';
import { ControlRequestSchema, isStreamRequest, type ControlCaller, type ControlRequest, type ControlResponse, type StreamRequest } from '../wire/controlProtocol.js';
import { checkProof } from './callerProof.js';
import { handleAdmin } from './adminRequests.js';
import type { ControlTarget } from './controlTarget.js';
import type { SystemAccounts } from './userNames.js';

/** how long a challenge stays valid: the client creates one file and answers at once */
export const PROOF_WINDOW_MS = 10_000;
/** the most journal events one response carries */
const MAX_EVENTS = 100;

/** What one connection has established: an outstanding challenge, a proven caller. */
export interface Session {
  challenge: { value: string; issuedAt: number } | null;
  caller: ControlCaller | null;
}

export interface RequestContext {
  target: ControlTarget;
  clock: Clock;
  logger: Logger;
  accounts: SystemAccounts;
  /** the directory proof files are created in (the socket's) */
  proofDir: string;
  /** uids allowed to act on real doors (root and the daemon's own uid are always) */
  operatorUids: ReadonlySet<number>;
}

type Failure = Extract<ControlResponse, { ok: false }>;

export function fail(code: string, error: string): Failure {
  return { ok: false, code, error };
}

/** A request to be answered by a stream (controlStreams.ts), parsed and not yet authorised. */
export interface StreamStart {
  stream: StreamRequest;
}

export function handleLine(ctx: RequestContext, session: Session, line: string): ControlResponse | StreamStart {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return fail('INPUT_INVALID', 'a request is one line of JSON');
  }
  const parsed = ControlRequestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail('INPUT_INVALID', `${issue.path.join('.') || 'request'}: ${issue.message}`);
  }
  if (isStreamRequest(parsed.data)) return { stream: parsed.data };
  try {
    return handle(ctx, session, parsed.data);
  } catch (err) {
    if (isGatewayError(err)) return fail(err.code, err.message);
    ctx.logger.error({ err }, 'control request failed');
    return fail('INTERNAL', (err as Error).message);
  }
}

function handle(ctx: RequestContext, session: Session, request: Exclude<ControlRequest, StreamRequest>): ControlResponse {
  const g = ctx.target;
  switch (request.command) {
    case 'status':
      return { ok: true, timeZone: g.timeZone(), doors: g.doorStatuses(), ...g.trust() };
    case 'health':
      return { ok: true, timeZone: g.timeZone(), doors: g.doorStatuses(), health: g.health() };
    case 'challenge': {
      const value = randomBytes(16).toString('hex');
      session.challenge = { value, issuedAt: ctx.clock.now() };
      return { ok: true, challenge: value };
    }
    case 'prove':
      return prove(ctx, session, request.challenge);
    case 'lockdown': {
      const caller = operatorFor(ctx, session, 'lockdown', request.door);
      if ('error' in caller) return caller;
      return withEvents(g, () => g.lockdown(request.door, request.on, caller));
    }
    case 'admin':
      return handleAdmin(g, session.caller, request, ctx.logger);
    default:
      return withEvents(g, () => drive(g, request));
  }
}

/**
 * The proven operator of this connection, for a verb that acts on real doors; otherwise the
 * refusal (NOT_AUTHORISED), journaled and logged with whoever was proven.
 */
export function operatorFor(ctx: RequestContext, session: Session, command: string, door: string | null): ControlCaller | Failure {
  const caller = session.caller;
  if (caller?.operator) return caller;
  const reason = caller ? `uid ${caller.uid} (${caller.user ?? 'no local user'}) is not an operator` : 'the caller has not proved its uid';
  ctx.target.refused(command, door, caller, reason);
  ctx.logger.warn({ uid: caller?.uid ?? null, user: caller?.user ?? null, door }, `control: ${command} refused: ${reason}`);
  return fail('NOT_AUTHORISED', `${command} acts on real doors: ${reason} (see docs/control-socket.md)`);
}

function withEvents(g: ControlTarget, act: () => string | undefined | void): ControlResponse {
  const before = g.lastEventSeq();
  const note = act();
  return { ok: true, timeZone: g.timeZone(), events: g.eventsAfter(before, MAX_EVENTS), ...(note ? { note } : {}) };
}

function prove(ctx: RequestContext, session: Session, challenge: string): ControlResponse {
  const issued = session.challenge;
  session.challenge = null; // single use, whatever the outcome
  if (!issued || issued.value !== challenge) return fail('NOT_AUTHORISED', 'this connection was not given that challenge (ask for one with {"command":"challenge"})');
  if (ctx.clock.now() - issued.issuedAt > PROOF_WINDOW_MS) return fail('NOT_AUTHORISED', `the challenge expired (a proof must follow within ${PROOF_WINDOW_MS / 1000} s)`);
  const proof = checkProof(ctx.proofDir, challenge);
  if (!proof.ok) return fail('NOT_AUTHORISED', `the proof failed: ${proof.reason}`);
  const me = process.getuid?.() ?? 0;
  const caller: ControlCaller = { uid: proof.uid, user: ctx.accounts.userName(proof.uid), operator: proof.uid === 0 || proof.uid === me || ctx.operatorUids.has(proof.uid) };
  session.caller = caller;
  return { ok: true, caller };
}

type SimRequest = Exclude<ControlRequest, StreamRequest | { command: 'status' | 'health' | 'challenge' | 'prove' | 'lockdown' | 'admin' }>;

/** Drives one simulated device; throws GatewayError when nothing could be delivered; returns a note for a no-op. */
function drive(g: ControlTarget, request: SimRequest): string | undefined {
  const sim = g.simulated;
  if (request.command === 'fire') {
    // a site has a simulated fire input only when every door is simulated (app/doorHardware.ts)
    if (!sim?.fire) throw new GatewayError('UNAVAILABLE', 'this gateway has no simulated fire input (sim acts on simulated devices only)');
    return delivery(sim.fire.set(request.active), 'the fire input');
  }
  const door = sim?.doors.get(request.door);
  if (!door) {
    const known = sim && sim.doors.size > 0 ? [...sim.doors.keys()].join(', ') : 'none';
    if (!g.doorIds().includes(request.door)) throw new GatewayError('NOT_FOUND', `door ${request.door} does not exist on this gateway (simulated doors: ${known})`, { entity: 'door', id: request.door });
    throw new GatewayError('UNAVAILABLE', `door ${request.door} has no simulated devices (simulated doors: ${known})`, { entity: 'door', id: request.door });
  }
  const at = `door ${request.door}`;
  switch (request.command) {
    case 'present':
      return delivery(door.cardReader.present(request.card), `${at}'s card reader`);
    case 'keys':
      return delivery(door.keypad.press(request.keys), `${at}'s keypad`);
    case 'finger':
      return delivery(door.fingerprintReader.touch(request.slot, request.confidence), `${at}'s fingerprint reader`);
    case 'phone':
      return delivery(door.mobileReader.tap(request.keyId), `${at}'s phone key reader`);
    case 'door':
      return delivery(door.contact.set(request.position === 'open'), `${at}'s contact`);
    case 'rex':
      return delivery(door.rex.pulse(), `${at}'s request-to-exit`);
  }
}

/** A device that is not started, stopped or offline delivered nothing: a failure. An unchanged level is a note. */
function delivery(result: { delivered: boolean; reason?: string }, device: string): string | undefined {
  if (result.delivered) return undefined;
  const reason = result.reason ?? 'unknown';
  if (reason.startsWith('no change')) return `${device}: ${reason}`;
  throw new GatewayError('DEVICE_OFFLINE', `${device} delivered nothing: ${reason}`);
}
