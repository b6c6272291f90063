/** Which configuration a verb uses: --config, $LOCKGW_CONFIG, the system file, else the demo — said on stderr. */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookUpConfig } from '../../src/app/config/configLookup.js';
import { runCli } from '../../src/cli/lockgw.js';

t.test('the order: flag, then env, then the system file, then the demo; empty values count as unset', async (t) => {
  const dir = t.testdir({ 'system.yaml': 'gateway: {id: gw-a}\n' });
  const system = join(dir, 'system.yaml');
  const missing = join(dir, 'none.yaml');
  t.same(lookUpConfig({ flag: 'a.yaml', env: { LOCKGW_CONFIG: 'b.yaml' }, systemPath: system }), { path: 'a.yaml', source: 'flag' });
  t.same(lookUpConfig({ flag: undefined, env: { LOCKGW_CONFIG: 'b.yaml' }, systemPath: system }), { path: 'b.yaml', source: 'env' });
  t.same(lookUpConfig({ flag: '', env: { LOCKGW_CONFIG: '' }, systemPath: system }), { path: system, source: 'system' });
  t.same(lookUpConfig({ flag: undefined, env: {}, systemPath: missing }), { path: undefined, source: 'demo' });
});

t.test('a verb on the system file says nothing; one that falls back to the demo says so on stderr every time', async (t) => {
  const dir = t.testdir({});
  const dataDir = join(dir, 'data');
  const system = join(dir, 'lockgw.yaml');
  const run = async (systemConfigPath: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['journal', '--limit', '1'], (l) => out.push(l), (l) => err.push(l), { env: {}, systemConfigPath });
    return { code, out, err };
  };
  writeFileSync(system, `gateway: {id: gw-test, dataDir: ${JSON.stringify(dataDir)}}\n`);
  const onSystem = await run(system);
  t.equal(onSystem.code, 0);
  t.same(onSystem.err, [], 'no notice with the system file');
  const cwd = process.cwd();
  process.chdir(dir); // the demo writes under ./data
  t.teardown(() => process.chdir(cwd));
  for (let i = 0; i < 2; i++) {
    const onDemo = await run(join(dir, 'absent.yaml'));
    t.equal(onDemo.code, 0);
    t.match(onDemo.err, [/^lockgw: no configuration \(no --config, no \$LOCKGW_CONFIG, no .*absent\.yaml\): using the embedded demo defaults/], `notice, run ${i + 1}`);
    t.equal(onDemo.err.length, 1, 'said once per run');
  }
});
