import t from 'tap';
import { chmodSync, chownSync, existsSync, linkSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlSession, proveCaller } from '../../src/cli/controlClient.js';
import { PROOF_WINDOW_MS } from '../../src/control/controlRequests.js';
import { proofFileName } from '../../src/wire/controlProtocol.js';
import { controlRig } from '../support/controlRig.js';

async function session(t: { teardown(fn: () => unknown): void }, path: string): Promise<ControlSession> {
  const s = await ControlSession.open(path);
  t.teardown(() => s.close());
  return s;
}

async function challenge(s: ControlSession): Promise<string> {
  const r = await s.request({ command: 'challenge' });
  if (!r.ok || !r.challenge) throw new Error('no challenge');
  return r.challenge;
}

t.test('lockdown without a proven caller is refused, journaled, and changes nothing', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  const before = f.gateway.journal.stats().lastSeq;
  const r = await s.request({ command: 'lockdown', door: 'lobby', on: true });
  t.match(r, { ok: false, code: 'NOT_AUTHORISED', error: /the caller has not proved its uid/ });
  t.notOk(f.gateway.engine.lockedDown('lobby'));
  t.match(f.gateway.journal.recent(before, 10), [{ type: 'security', doorId: 'lobby', reason: 'control_refused', data: { command: 'lockdown', uid: null } }]);
});

t.test('a proof file owned by another user proves that user: not an operator, refused with its uid journaled', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  const c = await challenge(s);
  const file = join(f.dataDir, proofFileName(c));
  writeFileSync(file, c, { mode: 0o644 });
  chownSync(file, 65534, 65534); // as if nobody had created it (the test runs as root)
  const proved = await s.request({ command: 'prove', challenge: c });
  t.match(proved, { ok: true, caller: { uid: 65534, user: 'nobody', operator: false } });
  t.notOk(existsSync(file), 'the daemon removed the proof');
  const before = f.gateway.journal.stats().lastSeq;
  const r = await s.request({ command: 'lockdown', door: null, on: true });
  t.match(r, { ok: false, code: 'NOT_AUTHORISED', error: /uid 65534 \(nobody\) is not an operator/ });
  t.notOk(f.gateway.engine.lockedDown('lobby'));
  t.match(f.gateway.journal.recent(before, 10), [{ type: 'security', reason: 'control_refused', data: { uid: 65534, user: 'nobody' } }]);
});

t.test('control.operators names who else may act on real doors', async (t) => {
  const { f, socketPath } = await controlRig(t, {}, { operators: ['nobody'] });
  const s = await session(t, socketPath);
  const c = await challenge(s);
  const file = join(f.dataDir, proofFileName(c));
  writeFileSync(file, c, { mode: 0o644 });
  chownSync(file, 65534, 65534);
  t.match(await s.request({ command: 'prove', challenge: c }), { ok: true, caller: { uid: 65534, operator: true } });
  t.match(await s.request({ command: 'lockdown', door: 'gym', on: true }), { ok: true, events: [{ reason: 'control_lockdown', data: { uid: 65534, user: 'nobody' } }, { type: 'mode', reason: 'lockdown_on' }] });
  t.ok(f.gateway.engine.lockedDown('gym'));
});

t.test('an unknown operator refuses the start, naming it', async (t) => {
  await t.rejects(controlRig(t, {}, { operators: ['root', 'no-such-user-here'] }), { code: 'CONFIG_INVALID', message: /control.operators\[1\]: no-such-user-here/ });
});

t.test('forged proofs fail: no file, a symlink, a hard link, the wrong content, group-writable, another challenge, too late', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  const attempt = async (make: (file: string, c: string) => void) => {
    const c = await challenge(s);
    make(join(f.dataDir, proofFileName(c)), c);
    return s.request({ command: 'prove', challenge: c });
  };
  t.match(await attempt(() => undefined), { ok: false, code: 'NOT_AUTHORISED', error: /no proof file/ });
  t.match(await attempt((file) => symlinkSync(join(f.dataDir, 'lockgw.db'), file)), { ok: false, error: /is a symbolic link/ });
  t.match(await attempt((file, c) => { writeFileSync(join(f.dataDir, 'other'), c); linkSync(join(f.dataDir, 'other'), file); }), { ok: false, error: /has 2 links/ });
  t.match(await attempt((file) => writeFileSync(file, 'f'.repeat(32), { mode: 0o644 })), { ok: false, error: /does not hold this connection's challenge/ });
  t.match(await attempt((file, c) => { writeFileSync(file, c); chmodSync(file, 0o664); }), { ok: false, error: /writable by others than its owner/ });
  t.match(await s.request({ command: 'prove', challenge: 'a'.repeat(32) }), { ok: false, error: /was not given that challenge/ });
  const c = await challenge(s);
  writeFileSync(join(f.dataDir, proofFileName(c)), c, { mode: 0o644 });
  f.clock.advance(PROOF_WINDOW_MS + 1);
  t.match(await s.request({ command: 'prove', challenge: c }), { ok: false, error: /the challenge expired/ });
  t.match(await s.request({ command: 'prove', challenge: c }), { ok: false, error: /was not given that challenge/, }, 'a challenge is single use');
  t.match(await s.request({ command: 'lockdown', door: null, on: true }), { ok: false, code: 'NOT_AUTHORISED' });
  t.notOk(f.gateway.engine.lockedDown('lobby'));
});

t.test('lockgw lockdown proves the caller (root here), is journaled with uid and user, and leaves no proof file', async (t) => {
  const { f, cli, socketPath } = await controlRig(t);
  const before = f.gateway.journal.stats().lastSeq;
  let r = await cli(['lockdown', 'on', '--door', 'lobby']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /lobby SECURITY control_lockdown[\s\S]*lobby MODE lockdown_on/);
  t.match(f.gateway.journal.recent(before, 10), [
    { type: 'security', doorId: 'lobby', reason: 'control_lockdown', data: { on: true, uid: process.getuid!(), user: 'root' } },
    { type: 'mode', doorId: 'lobby', reason: 'lockdown_on' },
  ]);
  t.match((await cli(['status'])).out, /lobby +lockdown +locked/);
  t.same(readdirSync(f.dataDir).filter((n) => n.startsWith('.auth-')), [], 'no proof file left behind');
  r = await cli(['lockdown', 'off', '--door', 'lobby']);
  t.equal(r.code, 0);
  t.notOk(f.gateway.engine.lockedDown('lobby'));
  r = await cli(['lockdown', 'on', '--door', 'attic']);
  t.equal(r.code, 2);
  t.match(r.err, /door attic does not exist/);
  r = await cli(['lockdown', 'maybe']);
  t.equal(r.code, 2);
  const s = await session(t, socketPath);
  t.match(await proveCaller(s), { ok: true, caller: { uid: 0, user: 'root', operator: true } });
});
