import t from 'tap';
import { readFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OFFLINE_CODE_TYPES, typeDigit } from '../../src/access/offlineCode.js';
import { REASONS } from '../../src/access/verdict.js';
import { runCloudSim } from '../../tools/cloud-sim/cli/cloudSimCommand.js';
import { ManualClock } from '../../src/kernel/clock.js';
import { silentLogger } from '../support/cloudHarness.js';
import { VECTOR_SECRET, vectorTexts } from './offlineCodeVectors.js';

const doc = await readFile(new URL('../../docs/offline-doorcodes.md', import.meta.url), 'utf8');
const blocks = new Map([...doc.matchAll(/<!-- vector:(\w+) -->\n```text\n([\s\S]*?)\n```/g)].map((m) => [m[1]!, m[2]!]));

t.test('every test vector in docs/offline-doorcodes.md is the text the code produces, byte for byte', async (t) => {
  const vectors = vectorTexts();
  for (const [name, text] of Object.entries(vectors)) t.equal(blocks.get(name), text, name);
  t.same([...blocks.keys()].filter((k) => !(k in vectors)), [], 'no vector in the doc the test does not check');
  t.ok(doc.includes(`\`${VECTOR_SECRET.toString('hex')}\``), 'the doc shows the vectors\' secret');
});

t.test('the doc\'s type digits are the code\'s', async (t) => {
  for (const type of OFFLINE_CODE_TYPES) t.ok(doc.includes(`| \`${type}\` | \`${typeDigit(type, false)}\` | \`${typeDigit(type, true)}\` |`), type);
});

t.test('the doc explains every offline-code reason', async (t) => {
  const reasons = REASONS.filter((r) => r.startsWith('offline_code_'));
  t.ok(reasons.length >= 3);
  for (const reason of reasons) t.ok(doc.includes(`| \`${reason}\` |`), reason);
});

t.test('the doc\'s simulator example is what the simulator prints for the first vector', async (t) => {
  const file = join(t.testdir(), 'site-secret');
  writeFileSync(file, `${VECTOR_SECRET.toString('hex')}\n`, { mode: 0o600 });
  const out: string[] = [];
  const code = await runCloudSim(['doorcode', '--secret-file', file, '--door', 'front', '--from', '2027-03-14T09:00', '--to', '2027-03-14T12:00', '--single-use'], { out: (l) => out.push(l), err: () => {}, progress: () => {}, logger: silentLogger(), clock: new ManualClock(0) });
  t.equal(code, 0);
  t.ok(doc.includes(`--single-use\n${out[0]}\n`), String(out[0]));
});

t.test('the doc\'s lockgw doorcode example is what the CLI prints on such a site', async (t) => {
  const { mkdirSync } = await import('node:fs');
  const { pino } = await import('pino');
  const { parseConfig } = await import('../../src/app/config/loadConfig.js');
  const { Gateway } = await import('../../src/app/gateway.js');
  const { runCli } = await import('../../src/cli/lockgw.js');
  const dir = t.testdir();
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'offline-code-secret'), `${VECTOR_SECRET.toString('hex')}\n`, { mode: 0o600 });
  const config = parseConfig({ gateway: { dataDir }, demo: { seed: false }, offlineCodes: { enabled: true } });
  const gateway = new Gateway(config, { clock: new ManualClock(0), logger: pino({ level: 'silent' }), rulesOnly: true });
  await gateway.start();
  gateway.applyBatch([
    { op: 'upsert', entity: 'site', record: { id: 'berlin', name: 'Berlin', timeZone: 'Europe/Berlin' } },
    { op: 'upsert', entity: 'door', record: { id: 'front', name: 'Front' } },
  ], { source: 'local' });
  await gateway.stop();
  writeFileSync(join(dir, 'lockgw.yaml'), `gateway: { dataDir: ${JSON.stringify(dataDir)} }\ndemo: { seed: false }\nofflineCodes: { enabled: true }\n`);
  const out: string[] = [];
  const code = await runCli(['doorcode', '--config', join(dir, 'lockgw.yaml'), '--door', 'front', '2920303855', '--at', '2027-03-14T12:30'], (l) => out.push(l), () => {}, { env: {}, systemConfigPath: '/nonexistent' });
  t.equal(code, 3);
  t.ok(doc.includes(`$ lockgw doorcode --door front 2920303855 --at 2027-03-14T12:30\n${out.join('\n')}\n\`\`\``), out.join('\n'));
});
