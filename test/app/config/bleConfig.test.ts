import t from 'tap';
import { parseConfig } from '../../../src/app/config/loadConfig.js';

const radio = { adapter: { hci: 0 } };

t.test('BLE radios and doors: what a config may say, and what it is told when it is wrong', async (t) => {
  const c = parseConfig({
    ble: { phoneKeys: { adapter: { uart: '/dev/ttyAMA0' } }, locks: radio },
    doors: [{ id: 'front', hardware: 'ble', ble: { phoneKey: true, lock: { address: '54:D2:72:AA:BB:CC' } } }, { id: 'gym', ble: { phoneKey: true } }],
  });
  t.match(c.ble, { phoneKeys: { adapter: { uart: '/dev/ttyAMA0' }, name: 'lockgw', challengeTtlMs: 5000 }, locks: { adapter: { hci: 0 }, scanMs: 8000 } });
  t.match(c.doors[0]!.ble!.lock, { address: '54:d2:72:aa:bb:cc', profile: 'nuki', link: 'on_demand', unlockMode: 'unlatch', retries: 2, lowBatteryPercent: 20 });
  t.same(parseConfig({}).ble, {}, 'no BLE by default');

  const refused = (config: object, message: RegExp) => t.throws(() => parseConfig(config), { code: 'CONFIG_INVALID', message }, String(message));
  refused({ doors: [{ id: 'a', ble: { phoneKey: true } }] }, /phone keys need a radio/);
  refused({ doors: [{ id: 'a', hardware: 'ble', ble: { lock: { address: '54:d2:72:aa:bb:cc' } } }] }, /a BLE lock needs a radio/);
  refused({ ble: { locks: radio }, doors: [{ id: 'a', hardware: 'ble' }] }, /hardware: ble needs ble: \{lock/);
  refused({ ble: { locks: radio }, doors: [{ id: 'a', ble: { lock: { address: '54:d2:72:aa:bb:cc' } } }] }, /only a door with hardware: ble has a BLE lock/);
  refused({ ble: { locks: radio }, doors: [{ id: 'a', hardware: 'ble', ble: { lock: { address: 'front-door' } } }] }, /six hex bytes/);
  refused({ ble: { phoneKeys: { adapter: { uart: 'ttyAMA0' } } } }, /absolute device path/);
  refused({ ble: { phoneKeys: { adapter: { uart: '/dev/ttyS1' } }, locks: { adapter: { uart: '/dev/ttyS1' } } } }, /one UART controller serves one host stack/);
  refused({ ble: { phoneKeys: { adapter: { hci: 0 }, name: 'a name far too long for a scan response' } } }, /phoneKeys.name/);
});
