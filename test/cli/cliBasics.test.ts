/** The command line's manners: --version, the daemon's --help, a wrong option, a closed pipe. */
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { runCli } from '../../src/cli/lockgw.js';
import { runDaemon, DAEMON_USAGE } from '../../src/app/daemon.js';
import { childEnv } from '../support/childEnv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
const run = (entry: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, entry), ...args], { cwd: root, env: childEnv(), encoding: 'utf8', timeout: 60_000 });

t.test('lockgw --version and the daemon --version print the package version', async (t) => {
  const lines: string[] = [];
  t.equal(await runCli(['--version'], (l) => lines.push(l)), 0);
  await runDaemon(['--version'], (l) => lines.push(l));
  t.same(lines, [`lockgw ${version}`, `lockgw ${version}`]);
});

t.test('the daemon: --help prints its options; a wrong option is a usage error (exit 2), never a stack', async (t) => {
  const lines: string[] = [];
  await runDaemon(['--help'], (l) => lines.push(l));
  t.same(lines, [DAEMON_USAGE]);
  const wrong = run('src/main.ts', ['--bogus']);
  t.equal(wrong.status, 2, 'exit 2');
  t.match(wrong.stderr, /lockgw: INPUT_INVALID: Unknown option '--bogus'/);
  t.match(wrong.stderr, /usage: npm start --/);
  t.notMatch(wrong.stderr, /^\s+at /m, 'no stack trace');
});

t.test('lockgw with a wrong option exits 2 with the usage', async (t) => {
  const wrong = run('src/cli/lockgw.ts', ['list', 'people', '--bogus']);
  t.equal(wrong.status, 2);
  t.match(wrong.stderr, /^lockgw: unknown option '--bogus'/);
  t.notMatch(wrong.stderr, /^\s+at /m);
});

t.test('a reader that closes the pipe early ends the output quietly (no EPIPE stack)', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/lockgw.ts'), '--help'], { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  child.stdout.destroy(); // the reader is gone before the first line: every write gets EPIPE
  const [code] = await once(child, 'exit');
  t.notMatch(err, /EPIPE|^\s+at /m, 'nothing on stderr about the pipe');
  t.equal(code, 0);
});
