/**
 * The two keyturner exchanges the actuator needs, over an open NukiSession:
 *  - requestKeyturnerStates: Request Data(Keyturner States) → Keyturner States;
 *  - performLockAction: Request Data(Challenge) → Challenge(nonce) → Lock Action(action, app id,
 *    flags, nonce) → Status ACCEPTED → Keyturner States while the motor runs → Status COMPLETE.
 * An Error Report rejects with DEVICE_ERROR naming the lock's error code. A missing answer
 * rejects DEVICE_TIMEOUT; `phase` tells whether the lock had accepted the action (then it may have
 * moved: the outcome is unknown) or not (nothing was done; safe to retry).
 */
import type { Clock } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import { NukiCommand, NukiStatus, nukiErrorName, type NukiLockActionName } from './nukiConstants.js';
import { u16, type NukiMessage } from './nukiFrame.js';
import { decodeErrorReport, decodeKeyturnerStates, encodeLockAction, type NukiKeyturnerStates } from './nukiMessages.js';
import type { NukiSession } from './nukiSession.js';

export type NukiPhase = 'before_accept' | 'after_accept';

export class NukiCommandError extends GatewayError {
  constructor(
    code: 'DEVICE_ERROR' | 'DEVICE_TIMEOUT' | 'DEVICE_OFFLINE',
    message: string,
    readonly phase: NukiPhase,
    readonly lockErrorCode?: number,
    options?: { cause?: unknown; id?: string },
  ) {
    super(code, message, { id: options?.id, entity: 'nuki-lock' }, options);
    this.name = 'NukiCommandError';
  }
}

export interface NukiTimeouts {
  /** for each answer before the lock accepted */
  responseMs: number;
  /** from ACCEPTED to COMPLETE: the motor's run */
  completionMs: number;
}

async function nextOf(session: NukiSession, clock: Clock, deadline: number, waitingFor: string, phase: NukiPhase): Promise<NukiMessage> {
  try {
    const message = await session.next(Math.max(0, deadline - clock.now()), waitingFor);
    if (message.command === NukiCommand.ErrorReport) {
      const report = decodeErrorReport(message.payload);
      const code = report?.code ?? 0xff;
      throw new NukiCommandError('DEVICE_ERROR', `lock ${session.peer} reported ${nukiErrorName(code)}`, phase, code, { id: session.peer });
    }
    return message;
  } catch (err) {
    if (err instanceof NukiCommandError || !(err instanceof GatewayError)) throw err;
    const code = err.code === 'DEVICE_OFFLINE' ? 'DEVICE_OFFLINE' : 'DEVICE_TIMEOUT';
    throw new NukiCommandError(code, err.message, phase, undefined, { cause: err, id: session.peer });
  }
}

export async function requestKeyturnerStates(session: NukiSession, clock: Clock, timeoutMs: number): Promise<NukiKeyturnerStates> {
  session.begin();
  const deadline = clock.now() + timeoutMs;
  await session.send(NukiCommand.RequestData, u16(NukiCommand.KeyturnerStates));
  for (;;) {
    const message = await nextOf(session, clock, deadline, 'keyturner states', 'before_accept');
    if (message.command !== NukiCommand.KeyturnerStates) continue;
    const states = decodeKeyturnerStates(message.payload);
    if (states) return states;
  }
}

/** Resolves with the last Keyturner States seen before COMPLETE (undefined when the lock sent none). */
export async function performLockAction(
  session: NukiSession,
  clock: Clock,
  action: NukiLockActionName,
  appId: number,
  timeouts: NukiTimeouts,
  onStates: (states: NukiKeyturnerStates) => void = () => undefined,
): Promise<NukiKeyturnerStates | undefined> {
  session.begin();
  let deadline = clock.now() + timeouts.responseMs;
  await session.send(NukiCommand.RequestData, u16(NukiCommand.Challenge));
  let challenge: Uint8Array | undefined;
  while (!challenge) {
    const message = await nextOf(session, clock, deadline, 'challenge', 'before_accept');
    if (message.command === NukiCommand.Challenge && message.payload.length === 32) challenge = message.payload;
  }
  deadline = clock.now() + timeouts.responseMs;
  await session.send(NukiCommand.LockAction, encodeLockAction(action, appId, challenge));
  let phase: NukiPhase = 'before_accept';
  let last: NukiKeyturnerStates | undefined;
  for (;;) {
    const message = await nextOf(session, clock, deadline, phase === 'before_accept' ? 'acceptance' : 'completion', phase);
    if (message.command === NukiCommand.KeyturnerStates) {
      const states = decodeKeyturnerStates(message.payload);
      if (states) {
        last = states;
        onStates(states);
      }
    } else if (message.command === NukiCommand.Status && message.payload.length >= 1) {
      if (message.payload[0] === NukiStatus.accepted && phase === 'before_accept') {
        phase = 'after_accept';
        deadline = clock.now() + timeouts.completionMs;
      } else if (message.payload[0] === NukiStatus.complete) {
        return last;
      }
    }
  }
}
