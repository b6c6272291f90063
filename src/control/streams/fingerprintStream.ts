/**
 * `fingerprint enroll|delete` at a door's R30x sensor, for an operator: enrolment tells each
 * step (place, lift, place-again, stored) as the driver reaches it. A client that closes during
 * an enrolment stops hearing it; the driver's own per-step timeout ends the enrolment.
 */
import { isGatewayError } from '../../kernel/gatewayError.js';
import type { ControlCaller, StreamRequest } from '../../wire/controlProtocol.js';
import type { ControlTarget } from '../controlTarget.js';
import type { StreamScope } from '../streamScope.js';

export async function runFingerprint(target: ControlTarget, request: Extract<StreamRequest, { command: 'fingerprint' }>, caller: ControlCaller, scope: StreamScope): Promise<void> {
  const { door, slot, action } = request;
  scope.send({ ok: true, stream: 'started', timeZone: target.timeZone(), note: `${action === 'enroll' ? 'enrolling a finger at' : 'deleting'} slot ${slot} of door ${door}'s fingerprint sensor` });
  try {
    if (action === 'enroll') await target.commissioning.enrollFingerprint(door, slot, caller, (step) => scope.send({ ok: true, stream: 'progress', step }));
    else await target.commissioning.deleteFingerprint(door, slot, caller);
    scope.end({ ok: true, stream: 'end', reason: action === 'enroll' ? `enrolled at slot ${slot}` : `slot ${slot} deleted` });
  } catch (err) {
    if (!isGatewayError(err)) throw err;
    scope.end({ ok: false, code: err.code, error: err.message });
  }
}
