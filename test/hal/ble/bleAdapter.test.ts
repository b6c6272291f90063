import t from 'tap';
import { EventEmitter } from 'node:events';
import { SystemClock } from '../../../src/kernel/clock.js';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';
import { openCentral, openPeripheral } from '../../../src/hal/ble/bleAdapter.js';
import { startVirtualBle } from '../../../tools/virtual-ble/index.js';
import { ptyPair } from '../../support/ptyPair.js';

const clock = new SystemClock();
const host = process as unknown as EventEmitter;
const handlers = () => host.listenerCount('exit') + host.listenerCount('SIGINT');

t.test('noble and bleno power on over virtual UARTs, and stop() leaves no process handlers behind', async (t) => {
  const ble = await startVirtualBle({ hosts: ['gateway', 'phone'] });
  t.teardown(() => ble.close());
  const before = handlers();
  const [central, peripheral] = await Promise.all([
    openCentral({ uart: ble.uartPort('gateway') }, { clock, timeoutMs: 5000 }),
    openPeripheral({ uart: ble.uartPort('phone') }, { clock, timeoutMs: 5000 }),
  ]);
  t.equal(central.noble.state, 'poweredOn');
  t.equal(peripheral.bleno.state, 'poweredOn');
  t.equal(central.name, `UART ${ble.uartPort('gateway')}`);
  t.ok(handlers() > before, 'the libraries installed their exit handlers');
  await Promise.all([central.stop(), peripheral.stop()]);
  await central.stop();
  t.equal(handlers(), before);
});

t.test('a UART path that does not exist is rejected at once as DEVICE_OFFLINE, saying what to fix', async (t) => {
  const before = handlers();
  for (const open of [openCentral, openPeripheral]) {
    const err = await open({ uart: '/dev/lockgw-no-such-uart' }, { clock, timeoutMs: 5000 }).catch((e: unknown) => e);
    t.ok(isGatewayError(err, 'DEVICE_OFFLINE'), String(err));
    t.match((err as Error).message, /^no Bluetooth adapter: UART \/dev\/lockgw-no-such-uart does not exist/);
  }
  t.equal(handlers(), before);
});

t.test('a malformed adapter config is CONFIG_INVALID', async (t) => {
  for (const adapter of [{ uart: '' }, { hci: -1 }, {} as { hci: number }]) {
    const err = await openCentral(adapter, { clock, timeoutMs: 100 }).catch((e: unknown) => e);
    t.ok(isGatewayError(err, 'CONFIG_INVALID'), JSON.stringify(adapter));
  }
});

t.test('a UART with no controller behind it times out as DEVICE_TIMEOUT and releases the port', async (t) => {
  const pty = await ptyPair(t);
  const before = handlers();
  for (const open of [openCentral, openPeripheral]) {
    const err = await open({ uart: pty.a }, { clock, timeoutMs: 300 }).catch((e: unknown) => e);
    t.ok(isGatewayError(err, 'DEVICE_TIMEOUT'), String(err));
    t.match((err as Error).message, /^no Bluetooth adapter: UART .* did not power on within 300 ms/);
  }
  t.equal(handlers(), before);
});
