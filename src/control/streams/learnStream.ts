/**
 * `learn`: learn mode at a door for the operator who asked. The learned value is sent on this
 * connection only (a `learned` line) and is never logged here; the stream ends at the first
 * capture, at the deadline (the door's Clock), or when the client closes (which cancels it).
 */
import { isGatewayError } from '../../kernel/gatewayError.js';
import type { ControlCaller, StreamRequest } from '../../wire/controlProtocol.js';
import type { ControlTarget } from '../controlTarget.js';
import type { StreamScope } from '../streamScope.js';

export function runLearn(target: ControlTarget, request: Extract<StreamRequest, { command: 'learn' }>, caller: ControlCaller, scope: StreamScope): void {
  let cancel: () => void;
  try {
    cancel = target.commissioning.learn(request.door, request.forMs, caller, {
      learned: (credential) => scope.send({ ok: true, stream: 'learned', kind: credential.kind, value: credential.value }),
      ended: (reason) => scope.end({ ok: true, stream: 'end', reason }),
    });
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    scope.end({ ok: false, code: err.code, error: err.message });
    return;
  }
  scope.onStop(cancel);
  scope.send({ ok: true, stream: 'started', timeZone: target.timeZone(), note: `learn mode at door ${request.door} for ${Math.round(request.forMs / 1000)} s: present the card or type the code and #` });
}
