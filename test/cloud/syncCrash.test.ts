/**
 * The daemon killed with SIGKILL in the middle of applying a large snapshot restarts on the
 * previous complete revision: the apply is one SQLite transaction, so nothing of the new snapshot
 * is visible and nothing of the old one is lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { ManualClock } from '../../src/kernel/clock.js';
import type { ApplyAck, SyncRequest } from '../../src/wire/messages.js';
import { childEnv } from '../support/childEnv.js';
import { broker, fakeCloud, GW, ISSUER, testKey, until } from '../support/cloudHarness.js';
import { CloudState } from '../support/cloudState.js';
import { smallSite, up } from '../support/storeFixture.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function daemon(config: string): { child: ChildProcess; output: () => string; line: (pattern: RegExp) => Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts'), '--config', config], { cwd: root, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) if (w.pattern.test(out)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', (d) => {
    out += String(d);
    check();
  });
  child.stderr!.on('data', (d) => (out += String(d)));
  return {
    child,
    output: () => out,
    line: (pattern) => new Promise((resolve) => {
      waiters.push({ pattern, resolve });
      check();
    }),
  };
}

function bigSite(people: number): unknown[] {
  const ops: unknown[] = [...smallSite()];
  for (let i = 0; i < people; i++) {
    ops.push(up('person', { id: `p${i}`, name: `Person ${i}` }));
    ops.push(up('holding', { personId: `p${i}`, keyId: 'k-lobby' }));
    ops.push(up('credential', { id: `p${i}-card`, personId: `p${i}`, kind: 'card', card: `26:${1 + (i % 255)}:${1 + Math.floor(i / 255)}` }));
  }
  return ops;
}

t.test('SIGKILL mid-apply: the restarted daemon runs the previous complete revision', async (t) => {
  const b = await broker(t);
  const key = testKey();
  const clock = new ManualClock(Date.now());
  const cloud = await fakeCloud(t, b, key, clock, 'auto');
  const dir = t.testdir();
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, [
    'gateway:', `  id: ${GW}`, `  dataDir: ${JSON.stringify(join(dir, 'data'))}`,
    'control:', '  enabled: false',
    'log:', '  format: json',
    'cloud:', '  enabled: true', `  url: ${b.url}`, `  issuer: ${ISSUER}`, '  keys:', `    - kid: ${key.kid}`, '      pem: |',
    ...key.publicPem.trim().split('\n').map((l) => `        ${l}`), '',
  ].join('\n'));

  const v1 = new CloudState(t);
  v1.change(smallSite());
  let startup = until<SyncRequest>(cloud.emitter, 'sync_request');
  let d = daemon(config);
  await startup;
  const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.revision === 1);
  for (const c of v1.snapshot('v1', 100)) await cloud.send('snapshot', c);
  await acked;
  const revision1 = { revision: 1, hash: v1.hash() };

  // version 2: a large site, so the apply takes long enough to be killed inside it
  const v2 = new CloudState(t);
  v2.change(smallSite());
  v2.change(bigSite(60_000));
  const applying = d.line(/"msg":"applying snapshot v2/);
  for (const c of v2.snapshot('v2', 5000)) await cloud.send('snapshot', c);
  await applying;
  d.child.kill('SIGKILL');
  const [, signal] = await once(d.child, 'exit');
  t.equal(signal, 'SIGKILL');
  t.notOk(/applied snapshot v2/.test(d.output()), 'killed before the apply finished');
  t.notOk(cloud.received.apply_ack.some((a) => a.revision === 2), 'version 2 was never acknowledged');

  // the database is consistent and still holds revision 1
  const db = new Database(join(dir, 'data', 'lockgw.db'), { readonly: true });
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  t.equal(db.prepare("SELECT value FROM meta WHERE key = 'revision'").pluck().get(), '1');
  t.equal(db.prepare('SELECT count(*) FROM credentials').pluck().get(), 0);
  db.close();

  // restarted: it reports revision 1 with its hash and asks for what is newer
  startup = until<SyncRequest>(cloud.emitter, 'sync_request', (r) => r.reason === 'startup');
  d = daemon(config);
  t.teardown(() => void d.child.kill('SIGKILL'));
  t.match(await startup, { ...revision1, want: { kind: 'delta', fromVersion: 1 } });
  d.child.kill('SIGTERM');
  const [code] = await once(d.child, 'exit');
  t.equal(code, 0);
});
