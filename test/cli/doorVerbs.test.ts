/**
 * `lockgw watch`, `learn`, `door test` and `fingerprint` as an installer types them, against a
 * gateway with simulated doors on a real control socket (ManualClock): lines, exit codes.
 */
import t, { type Test } from 'tap';
import { runCli } from '../../src/cli/lockgw.js';
import { PATTERN_MS } from '../../src/control/streams/doorTestStream.js';
import { INDICATOR_PATTERNS } from '../../src/hal/indicatorPatterns.js';
import { controlRig, type ControlRig } from '../support/controlRig.js';

const WAIT_MS = 10_000;

/** One CLI run whose output can be waited on line by line while it runs. */
function running(rig: ControlRig, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const waiters = new Set<() => void>();
  const tell = () => { for (const w of [...waiters]) w(); };
  const code = runCli([...args, '--config', rig.f.configFile], (l) => { out.push(l); tell(); }, (l) => { err.push(l); tell(); });
  const line = (pattern: RegExp) => new Promise<string>((resolve, reject) => {
    const guard = setTimeout(() => { waiters.delete(check); reject(new Error(`no line ${pattern}; out: ${out.join(' | ')}; err: ${err.join(' | ')}`)); }, WAIT_MS);
    const check = () => {
      const hit = out.find((l) => pattern.test(l));
      if (hit === undefined) return;
      clearTimeout(guard);
      waiters.delete(check);
      resolve(hit);
    };
    waiters.add(check);
    check();
  });
  return { out, err, code, line };
}

async function throughPatterns(rig: ControlRig, run: ReturnType<typeof running>): Promise<void> {
  for (const pattern of INDICATOR_PATTERNS) {
    await run.line(new RegExp(`^led +${pattern} `));
    rig.f.clock.advance(PATTERN_MS);
  }
}

t.test('lockgw learn prints the unknown card and the command that enrols it; exit 0', async (t: Test) => {
  const rig = await controlRig(t);
  const run = running(rig, ['learn', '--door', 'lobby', '--for', '2m']);
  await run.line(/learn mode at door lobby for 120 s/);
  rig.f.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:77:4242');
  t.equal(await run.code, 0);
  t.match(run.out, ['learn mode at door lobby for 120 s: present the card or type the code and #', 'learned  card 26:77:4242', /^enrol it: lockgw credential add CREDENTIAL-ID --person PERSON --card 26:77:4242$/, 'end      learned']);
  t.notMatch(rig.f.logs.join(''), /4242/, 'the daemon logged nothing of it');
});

t.test('lockgw learn: a duration beyond 10 minutes is a usage error naming the option; nothing is started', async (t) => {
  const rig = await controlRig(t);
  const r = await rig.cli(['learn', '--door', 'lobby', '--for', '11m']);
  t.equal(r.code, 2);
  t.match(r.err, /--for.*a duration from 1s to 10m/);
  t.notOk(rig.f.gateway.journal.recent(0, 1000).some((e) => e.reason === 'learn_started'));
});

t.test('lockgw learn ending on its deadline says so', async (t) => {
  const rig = await controlRig(t);
  const run = running(rig, ['learn', '--door', 'gym', '--for', '5s', '--json']);
  await run.line(/"stream":"started"/);
  rig.f.clock.advance(5_000);
  t.equal(await run.code, 0);
  t.match(JSON.parse(run.out.at(-1)!), { ok: true, stream: 'end', reason: 'timeout' });
});

t.test('lockgw door test: the pulse, each pattern, each device, the inputs; exit 0 when all are online', async (t) => {
  const rig = await controlRig(t);
  const run = running(rig, ['door', 'test', '--door', 'lobby', '--watch', '10s']);
  await run.line(/^strike +released for 2000 ms$/);
  await throughPatterns(rig, run);
  await run.line(/^input +fire /);
  rig.f.gateway.simulated!.doors.get('lobby')!.rex.pulse();
  await run.line(/^\d\d:\d\d:\d\d rex PRESSED$/);
  rig.f.clock.advance(10_000);
  t.equal(await run.code, 0);
  t.match(run.out.join('\n'), /lobby HEALTH lobby-lock online/);
  t.match(run.out.join('\n'), /input +door +closed/);
});

t.test('lockgw door test exits 1 naming the offline device', async (t) => {
  const rig = await controlRig(t);
  rig.f.gateway.simulated!.doors.get('gym')!.actuator.setOffline('relay board unplugged');
  const run = running(rig, ['door', 'test', '--door', 'gym']);
  await throughPatterns(rig, run);
  t.equal(await run.code, 1);
  t.match(run.out.join('\n'), /strike +NOT released: door gym cannot pulse: actuator offline/);
  t.match(run.out.join('\n'), /gym HEALTH gym-lock OFFLINE/);
  t.match(run.err, ['lockgw: offline: gym-lock']);
});

t.test('lockgw watch prints readable lines with site-local times until Ctrl-C, then exits 0', async (t) => {
  const rig = await controlRig(t);
  const run = running(rig, ['watch', '--door', 'lobby']);
  await run.line(/watching door lobby/);
  rig.f.gateway.simulated!.doors.get('lobby')!.cardReader.present('26:12:34567');
  // the demo site is in Europe/Berlin: 09:00 UTC is 10:00 there
  t.match(await run.line(/GRANTED/), /^#\d+ 10:00:00 lobby GRANTED granted {2}alice/);
  process.emit('SIGINT');
  t.equal(await run.code, 0);
});

t.test('lockgw fingerprint on a door without an R30x sensor is refused (exit 3), naming what is missing', async (t) => {
  const rig = await controlRig(t);
  const r = await rig.cli(['fingerprint', 'enroll', '--door', 'lobby', '--slot', '3']);
  t.equal(r.code, 3);
  t.match(r.err, /door lobby has no R30x fingerprint sensor/);
  const bad = await rig.cli(['fingerprint', 'enroll', '--door', 'lobby', '--slot', 'x']);
  t.equal(bad.code, 2);
});
