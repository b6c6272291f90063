/**
 * The `admin` request (wire/adminProtocol.ts): answered only on a connection whose caller proved
 * its uid; the target checks that uid against the operator table. An unproven caller is refused
 * NOT_AUTHORISED and journaled as a security event, as a real-door verb is.
 */
import type { Logger } from 'pino';
import type { ControlRequest, ControlResponse } from '../wire/controlProtocol.js';
import type { ControlTarget } from './controlTarget.js';

type AdminControlRequest = Extract<ControlRequest, { command: 'admin' }>;

export function handleAdmin(target: ControlTarget, caller: Parameters<ControlTarget['admin']>[1] | null, request: AdminControlRequest, logger: Logger): ControlResponse {
  const { command: _command, ...envelope } = request;
  if (caller === null) {
    const reason = 'the caller has not proved its uid';
    target.refused(`admin ${request.request.verb}`, null, null, reason);
    logger.warn({ verb: request.request.verb }, `control: admin refused: ${reason}`);
    return { ok: false, code: 'NOT_AUTHORISED', error: `admin verbs need a proven caller: ${reason} (see docs/control-socket.md)` };
  }
  return { ok: true, admin: target.admin(envelope, caller) };
}
