import t from 'tap';
import { RelayBoardConfigSchema } from '../../../src/hal/serial/serialConfig.js';

const path = '/dev/serial/by-id/usb-relays';

t.test('protocol defaults to lcus; the Modbus fields are refused there, with the field named', async (t) => {
  t.match(RelayBoardConfigSchema.parse({ id: 'r1', path }), { protocol: 'lcus', channels: 4 });
  const bad = RelayBoardConfigSchema.safeParse({ id: 'r1', path, keepaliveMs: 5000 });
  t.notOk(bad.success);
  t.match(bad.error?.issues, [{ path: ['keepaliveMs'], message: /only for protocol waveshare-modbus/ }]);
});

t.test('waveshare-modbus takes unit, keepaliveMs and answerTimeoutMs, and checks them against each other', async (t) => {
  t.match(RelayBoardConfigSchema.parse({ id: 'r1', path, protocol: 'waveshare-modbus', unit: 3, keepaliveMs: 4000 }), { protocol: 'waveshare-modbus', unit: 3, keepaliveMs: 4000 });
  const slow = RelayBoardConfigSchema.safeParse({ id: 'r1', path, protocol: 'waveshare-modbus', keepaliveMs: 2000, answerTimeoutMs: 1000 });
  t.match(slow.error?.issues, [{ path: ['answerTimeoutMs'], message: /keepaliveMs \/ 4/ }]);
  t.notOk(RelayBoardConfigSchema.safeParse({ id: 'r1', path, protocol: 'modbus' }).success, 'an unknown protocol');
  t.notOk(RelayBoardConfigSchema.safeParse({ id: 'r1', path, protocol: 'waveshare-modbus', keepaliveMs: 500 }).success, 'a keepalive under 1 s');
});
