/** A PIN is never needed on the command line: `--pin` alone takes it from stdin (or a no-echo prompt on a terminal). */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../support/childEnv.js';
import { gatewayFixture } from '../support/gatewayFixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const lockgw = (args: string[], input?: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/lockgw.ts'), ...args], { cwd: root, env: childEnv(), encoding: 'utf8', input: input ?? '', timeout: 60_000 });

t.test('credential add --pin reads the PIN from stdin; digits on the command line are warned about', async (t) => {
  const { configFile, gateway } = await gatewayFixture(t);
  await gateway.stop(); // the CLI opens the database itself, as it does when no daemon runs
  const added = lockgw(['credential', 'add', 'alice-pin2', '--person', 'alice', '--pin', '--config', configFile], '8642\n');
  t.equal(added.status, 0, added.stderr);
  t.notMatch(added.stdout + added.stderr, /8642/, 'the PIN is echoed nowhere');
  t.notMatch(added.stderr, /warning/);
  const decided = lockgw(['decide', '--door', 'lobby', '--pin', '8642', '--config', configFile]);
  t.match(decided.stdout, /^GRANTED/);
  t.match(decided.stdout, /credential alice-pin2/);
  const inline = lockgw(['credential', 'add', 'alice-pin3', '--person', 'alice', '--pin', '9753', '--config', configFile]);
  t.equal(inline.status, 0, inline.stderr);
  t.match(inline.stderr, /warning: a PIN on the command line shows in ps/);
  await gateway.start();
});
