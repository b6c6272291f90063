import t from 'tap';
import { generateKeyPairSync } from 'node:crypto';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import { doorBehaviours } from '../../src/app/doorHardware.js';
import { readySummary, type ReadyFacts } from '../../src/app/readySummary.js';

const rules = { siteId: 'demo', siteName: 'Demo Apartments', timeZone: 'Europe/Berlin', revision: 1, hash: 'h1' };
const counts = { keys: 5, people: 8, credentials: 11 };

function facts(raw: unknown, extra: Partial<ReadyFacts> = {}): ReadyFacts {
  const config = parseConfig(raw);
  return { config, configFile: '/etc/lockgw/lockgw.yaml', doors: doorBehaviours(config), control: { path: '/run/lockgw/lockgw.sock' }, safety: null, rules, counts, demoLobby: false, ...extra };
}

const SERIAL_SITE = {
  gateway: { id: 'gw-1' },
  demo: { seed: false },
  serial: {
    wiegandBridges: [{ id: 'b1', path: '/dev/ttyUSB0' }],
    relayBoards: [{ id: 'r1', path: '/dev/ttyUSB1', protocol: 'lcus', channels: 2 }],
  },
  doors: [
    { id: 'front', hardware: 'serial', serial: { reader: { bridge: 'b1', port: 1 }, actuator: { board: 'r1', channel: 1 } } },
    { id: 'back', hardware: 'sim' },
  ],
  cloud: { enabled: true, url: 'mqtts://broker.example:8883', keys: [{ kid: 'k1', pem: generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) }] },
};

t.test('the demo ready line names the site, the rules, the doors by hardware, bridges, BLE, cloud and the socket, and the sim hint', async (t) => {
  const s = readySummary(facts({}, { demoLobby: true }));
  t.equal(
    s.text,
    'lockgw ready: site Demo Apartments (Europe/Berlin), revision 1, 5 keys, 8 people, 11 credentials; 5 doors (5 simulated), 0 Wiegand bridges, 0 relay boards, ' +
      'BLE off, cloud off, control socket /run/lockgw/lockgw.sock, config /etc/lockgw/lockgw.yaml. Try: npm run lockgw -- sim present --door lobby --card 26:12:34567',
  );
  t.match(s.fields, { config: '/etc/lockgw/lockgw.yaml', gatewayId: 'gw-local', doors: 5, bridges: 0, relayBoards: 0, ble: 'off', cloud: 'off', control: '/run/lockgw/lockgw.sock', site: 'demo', revision: 1, keys: 5 });
  t.equal(s.status, 'ready: site Demo Apartments, revision 1, 5 doors (5 simulated), cloud off');
});

t.test('a production site: serial doors, cloud on, no socket — and no sim hint', async (t) => {
  const s = readySummary(facts(SERIAL_SITE, { control: { off: 'control.enabled: false' } }));
  t.match(s.text, /; 2 doors \(1 serial, 1 simulated\), 1 Wiegand bridge, 1 relay board, BLE off, cloud mqtts:\/\/broker\.example:8883, control socket off \(control\.enabled: false\), config \/etc\/lockgw\/lockgw\.yaml\.$/);
  t.notMatch(s.text, /Try:/);
  t.match(s.fields, { gatewayId: 'gw-1', bridges: 1, relayBoards: 1, cloud: 'mqtts://broker.example:8883', control: 'off' });
});

t.test('safety-only: the ready line and the status say so, with the cause', async (t) => {
  const safety = { cause: 'corrupt' as const, file: '/var/lib/lockgw/lockgw.db', detail: 'file is not a database', since: '2026-12-07T15:00:00.000Z', setAside: [], journal: 'durable' as const, recovery: 'restore it' };
  const s = readySummary(facts({}, { safety }));
  t.match(s.text, /^lockgw ready in SAFETY-ONLY mode: 5 doors \(5 simulated\), .*cloud off, control socket \/run\/lockgw\/lockgw\.sock, config \/etc\/lockgw\/lockgw\.yaml\. .*every credential is denied \(rules_unavailable\) because the database \/var\/lib\/lockgw\/lockgw\.db is corrupt/);
  t.match(s.fields, { mode: 'safety-only', cause: 'corrupt', journal: 'durable', doors: 5 });
  t.equal(s.status, 'SAFETY-ONLY (database corrupt): 5 doors (5 simulated), every credential denied; cloud off');
});

t.test('without a config file the ready line says the embedded demo defaults run', async (t) => {
  const s = readySummary(facts({}, { configFile: undefined }));
  t.match(s.text, /, no config file: the embedded demo defaults\./);
  t.match(s.fields, { config: 'embedded defaults' });
});

t.test('BLE is named by what it serves', async (t) => {
  const s = readySummary(facts({ ble: { locks: { adapter: { hci: 0 } }, phoneKeys: { adapter: { hci: 0 } } } }));
  t.match(s.text, /BLE locks \+ phone keys/);
});
