/**
 * The real daemon as systemd runs it (Type=notify, WatchdogSec, stdout to the journal): the
 * notifications reach a fake NOTIFY_SOCKET (a real unix datagram socket), the log lines carry
 * their journal priorities, and a stuck event loop stops the watchdog pings.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, fstatSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../support/childEnv.js';
import { spawnDaemon } from '../support/daemonProcess.js';
import { notifySocketPeer, notifyToolsAvailable } from '../support/notifySocketPeer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const skip = notifyToolsAvailable() ? false : 'perl is missing';

function siteConfig(dir: string): string {
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  id: gw-test\n  dataDir: ${JSON.stringify(join(dir, 'data'))}\ncontrol:\n  enabled: false\n`);
  return config;
}

t.test('under systemd: READY=1 once the doors run, watchdog pings, journal priorities, STOPPING=1 at SIGTERM', { skip }, async (t) => {
  const dir = t.testdir();
  const peer = await notifySocketPeer(t);
  const logFile = join(dir, 'journal.log');
  const out = openSync(logFile, 'w');
  const st = fstatSync(out, { bigint: true });
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), '--config', siteConfig(dir)], {
    cwd: root,
    env: childEnv({ NOTIFY_SOCKET: peer.path, WATCHDOG_USEC: '1000000', JOURNAL_STREAM: `${st.dev}:${st.ino}` }),
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  const exited = once(child, 'exit');
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));

  const ready = await peer.next((m) => m.startsWith('READY=1'));
  t.equal(ready, 'READY=1\nSTATUS=ready: site Demo Apartments, revision 1, 5 doors (5 simulated), cloud off');
  const log = readFileSync(logFile, 'utf8');
  t.match(log, /^<6>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  main: lockgw ready: site Demo Apartments .*5 doors \(5 simulated\).*control socket off \(control\.enabled: false\)/m, 'the ready line, readable, at info');
  t.match(log, /^<4>.* WARN  main: node was started without/m, 'a warning at warning priority');
  t.ok(log.split('\n').filter(Boolean).every((l) => /^<[2-7]>/.test(l)), 'every line has its priority');
  t.ok(log.indexOf('lockgw ready') > log.lastIndexOf('hal:sim'), 'ready after the doors and their devices are up');

  await peer.next((m) => m === 'WATCHDOG=1');
  const before = peer.messages.length;
  await peer.next((m) => m === 'WATCHDOG=1', { from: before });

  child.kill('SIGTERM');
  t.equal(await peer.next((m) => m.startsWith('STOPPING=1')), 'STOPPING=1\nSTATUS=stopping (SIGTERM)');
  const [code] = await exited;
  t.equal(code, 0);
  t.match(readFileSync(logFile, 'utf8'), /^<6>.* INFO  gateway: stopped$/m);
});

t.test('in safety-only mode the daemon is ready too, and its status says so', { skip }, async (t) => {
  const dir = t.testdir();
  const config = siteConfig(dir);
  const first = spawnDaemon(['--config', config]);
  await first.readyLine;
  first.child.kill('SIGTERM');
  await once(first.child, 'exit');
  const fd = openSync(join(dir, 'data', 'lockgw.db'), 'r+');
  writeSync(fd, Buffer.alloc(100, 'garbage'), 0, 100, 0);
  closeSync(fd);

  const peer = await notifySocketPeer(t);
  const d = spawnDaemon(['--config', config], { env: { NOTIFY_SOCKET: peer.path } });
  t.match(await d.readyLine, /ERROR main: lockgw ready in SAFETY-ONLY mode: 5 doors/);
  t.equal(await peer.next((m) => m.startsWith('READY=1')), 'READY=1\nSTATUS=SAFETY-ONLY (database corrupt): 5 doors (5 simulated), every credential denied; cloud off');
  d.child.kill('SIGTERM');
  const [code] = await once(d.child, 'exit');
  t.equal(code, 0);
});

t.test('a stuck event loop sends no watchdog pings until it runs again', { skip }, async (t) => {
  const dir = t.testdir();
  const peer = await notifySocketPeer(t);
  const script = join(dir, 'stuck.ts');
  const mainUrl = new URL('../../src/main.ts', import.meta.url).href;
  // SIGUSR2 blocks the daemon's loop for 1.5 s (as a runaway computation would), then says so
  writeFileSync(script, [
    `import { runDaemon } from ${JSON.stringify(mainUrl)};`,
    `await runDaemon(['--config', ${JSON.stringify(siteConfig(dir))}]);`,
    `process.on('SIGUSR2', () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500); process.stdout.write('loop free\\n'); });`,
  ].join('\n'));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: root, env: childEnv({ NOTIFY_SOCKET: peer.path, WATCHDOG_USEC: '400000' }), stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => (child.exitCode === null ? child.kill('SIGKILL') : undefined));
  const free = new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes('loop free') && resolve()));
  await peer.next((m) => m.startsWith('READY=1'));
  await peer.next((m) => m === 'WATCHDOG=1');
  await peer.next((m) => m === 'WATCHDOG=1', { from: peer.messages.length });
  const pingsAt = () => peer.messages.flatMap((m, i) => (m === 'WATCHDOG=1' ? [peer.arrivals[i]!] : []));
  const beforeBlock = pingsAt().length;
  child.kill('SIGUSR2');
  await free;
  const resumed = await peer.next((m) => m === 'WATCHDOG=1', { from: peer.messages.length });
  t.equal(resumed, 'WATCHDOG=1', 'pings resume once the loop runs');
  const pings = pingsAt();
  const gaps = pings.slice(1).map((at, i) => at - pings[i]!);
  t.ok(Math.max(...gaps.slice(beforeBlock - 1)) >= 1_200, `no ping while the loop was stuck (gaps ${gaps.map(Math.round).join(', ')} ms)`);
  child.kill('SIGTERM');
  await once(child, 'exit');
});
