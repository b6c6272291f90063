/**
 * Runs a request answered by a stream of lines (docs/control-socket.md "Streams"): `watch` for
 * whoever can connect; `doorTest`, `learn` and `fingerprint` act on real doors and run only for
 * a proven operator (refused NOT_AUTHORISED and journaled otherwise). A bug in a stream ends it
 * with INTERNAL, logged.
 */
import type { StreamRequest } from '../wire/controlProtocol.js';
import { operatorFor, type RequestContext, type Session } from './controlRequests.js';
import type { StreamScope } from './streamScope.js';
import { runDoorTest } from './streams/doorTestStream.js';
import { runFingerprint } from './streams/fingerprintStream.js';
import { runLearn } from './streams/learnStream.js';
import { runWatch } from './streams/watchStream.js';

export function runStream(ctx: RequestContext, session: Session, request: StreamRequest, scope: StreamScope): void {
  const failed = (err: unknown) => {
    ctx.logger.error({ err, command: request.command }, 'control stream failed');
    scope.end({ ok: false, code: 'INTERNAL', error: (err as Error).message });
  };
  try {
    if (request.command === 'watch') return runWatch(ctx.target, request, scope);
    const caller = operatorFor(ctx, session, request.command, request.door);
    if ('error' in caller) return scope.end(caller);
    if (request.command === 'learn') return runLearn(ctx.target, request, caller, scope);
    const running = request.command === 'doorTest' ? runDoorTest(ctx.target, request, caller, scope) : runFingerprint(ctx.target, request, caller, scope);
    running.catch(failed);
  } catch (err) {
    failed(err);
  }
}
