import t from 'tap';
import { GATEWAY_ERROR_CODES, isGatewayErrorCode } from '../../src/kernel/gatewayError.js';

t.test('a code that crossed a boundary is one of ours only if it is in the list', async (t) => {
  t.ok(isGatewayErrorCode('BATCH_INVALID'));
  t.ok(isGatewayErrorCode('INTERNAL'), 'our own bug has a code of its own');
  t.ok(GATEWAY_ERROR_CODES.every((code) => isGatewayErrorCode(code)));
  for (const other of ['batch_invalid', 'NO_SUCH_CODE', '', 42, null, undefined]) t.notOk(isGatewayErrorCode(other), String(other));
});
