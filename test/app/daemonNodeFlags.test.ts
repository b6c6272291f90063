import t from 'tap';
import { readFileSync } from 'node:fs';
import { DAEMON_NODE_FLAGS, missingDaemonFlags } from '../../src/app/daemonNodeFlags.js';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

t.test('npm start and the systemd unit start node with every daemon flag', async (t) => {
  t.ok(DAEMON_NODE_FLAGS.length > 0);
  const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
  const execStart = read('systemd/lockgw.service').split('\n').find((l) => l.startsWith('ExecStart='))!;
  for (const flag of DAEMON_NODE_FLAGS) {
    t.ok(start.split(' ').includes(flag), `npm start passes ${flag}`);
    t.ok(execStart.split(' ').includes(flag), `the systemd unit passes ${flag}`);
  }
});

t.test('missingDaemonFlags names what node was started without', async (t) => {
  t.same(missingDaemonFlags([]), [...DAEMON_NODE_FLAGS]);
  t.same(missingDaemonFlags(['--import', 'tsx', ...DAEMON_NODE_FLAGS]), []);
  t.same(missingDaemonFlags(['--initial-old-space-size=32']), [...DAEMON_NODE_FLAGS], 'another value is not the flag');
});
