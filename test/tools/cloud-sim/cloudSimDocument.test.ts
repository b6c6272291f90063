import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCloudSim } from '../../../tools/cloud-sim/cli/cloudSimCommand.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { loadSigningKey } from '../../../tools/cloud-sim/simSigningKey.js';
import { CloudKeySet } from '../../../src/wire/keys.js';
import { verifyAccessDocument } from '../../../src/wire/accessDocument.js';
import { silentLogger } from '../../support/cloudHarness.js';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const PUBLIC_KEY = 'MCowBQYDK2VwAyEA' + 'A'.repeat(44);

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCloudSim(args, { out: (l) => out.push(l), err: (l) => err.push(l), progress: () => {}, logger: silentLogger(), clock: new ManualClock(NOW) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

t.test('document signs an access document the gateway verifies', async (t) => {
  const dir = join(t.testdir(), 'sim');
  t.equal((await cli(['keygen', '--state', dir, '--kid', 'sim-1'])).code, 0);
  const common = ['--state', dir, '--gateway', 'gw-1', '--credential', 'gus-phone', '--person', 'gus', '--public-key', PUBLIC_KEY, '--door', 'lobby,gym', '--valid-until', '2026-11-24T09:00:00Z'];
  const r = await cli(['document', ...common, '--schedule', 'office']);
  t.equal(r.code, 0, r.err);
  const key = await loadSigningKey(dir);
  const checked = verifyAccessDocument(r.out.trim(), { keys: new CloudKeySet([{ kid: key.kid, publicKey: key.publicKey }]), gatewayId: 'gw-1', issuer: 'lockgw-cloud-sim' }, NOW);
  t.match(checked, { ok: true, document: { credentialId: 'gus-phone', revision: 1, doors: [{ doorId: 'lobby', scheduleIds: ['office'] }, { doorId: 'gym' }] } });

  const file = join(dir, 'gus.jws');
  t.equal((await cli(['document', ...common, '--out', file])).code, 0);
  t.match(readFileSync(file, 'utf8'), /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
  writeFileSync(join(dir, 'mine.txt'), 'keep me');
  const refused = await cli(['document', ...common, '--out', join(dir, 'mine.txt')]);
  t.equal(refused.code, 2);
  t.match(refused.err, /mine\.txt exists: not overwritten/);
  t.equal(readFileSync(join(dir, 'mine.txt'), 'utf8'), 'keep me');

  const bad = await cli(['document', ...common.slice(0, -2), '--valid-until', '2026-11-20T00:00:00Z']);
  t.match(bad, { code: 2, err: /has passed/ });
  const noKey = await cli(['document', ...common.filter((a) => a !== PUBLIC_KEY && a !== '--public-key')]);
  t.match(noKey, { code: 2, err: /needs --public-key/ });
  const badKey = await cli(['document', ...common.map((a) => (a === PUBLIC_KEY ? 'not a key' : a))]);
  t.match(badKey, { code: 2, err: /publicKey/ });
});
