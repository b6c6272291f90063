import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), ...args], {
    cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const readyLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('lockgw ready'));
      if (line) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ready: ${err}`)));
  });
  return { child, readyLine, output: () => ({ out, err }) };
}

t.test('the daemon starts on a config, prints a JSON ready line, and stops cleanly on SIGTERM', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  id: gw-test\n  dataDir: ${JSON.stringify(join(dir, 'data'))}\nlog:\n  pretty: never\n`);
  const d = startDaemon(['--config', config]);
  const ready = JSON.parse(await d.readyLine);
  t.match(ready, { level: 30, gatewayId: 'gw-test', site: 'demo', revision: 1, doors: 5, msg: /Demo Apartments/ });
  d.child.kill('SIGTERM');
  const [code] = await once(d.child, 'exit');
  t.equal(code, 0);
  t.match(d.output().out, /"msg":"stopped"/);
});

t.test('a bad config stops the daemon with the path and a hint, exit code 1', async (t) => {
  const dir = t.testdir({ 'bad.yaml': 'journal:\n  maxEvents: -5\n' });
  const d = startDaemon(['--config', join(dir, 'bad.yaml')]);
  const [code] = await once(d.child, 'exit');
  t.equal(code, 1);
  t.match(d.output().err, /CONFIG_INVALID: invalid configuration:\n {2}.*bad\.yaml: journal\.maxEvents: .*hint/);
  await d.readyLine.catch(() => undefined);
});
