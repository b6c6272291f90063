/**
 * The control socket's streams end to end on the demo site (simulated doors, real SQLite, a real
 * Unix socket, ManualClock): watch (and its 64 KiB drop), learn mode, the door test.
 */
import t, { type Test } from 'tap';
import { createConnection } from 'node:net';
import { ControlSession, proveCaller } from '../../src/cli/controlClient.js';
import { PATTERN_MS } from '../../src/control/streams/doorTestStream.js';
import { INDICATOR_PATTERNS } from '../../src/hal/indicatorPatterns.js';
import { TEST_PULSE_MS } from '../../src/app/doorCommissioning.js';
import type { StreamLine } from '../../src/wire/controlProtocol.js';
import { MAX_UNREAD_BYTES } from '../../src/control/controlServer.js';
import { controlRig } from '../support/controlRig.js';

const WAIT_MS = 10_000;

async function session(t: Test, path: string, prove = false): Promise<ControlSession> {
  const s = await ControlSession.open(path);
  t.teardown(() => s.close());
  if (prove) {
    const proved = await proveCaller(s);
    if (!proved.ok) throw new Error(proved.error);
  }
  return s;
}

/** The lines of one stream as they come, a wait for the next that matches, and its last line. */
function streamOf(s: ControlSession, request: Parameters<ControlSession['stream']>[0]) {
  const lines: StreamLine[] = [];
  const waiters = new Set<() => void>();
  const last = s.stream(request, (line) => {
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  last.catch(() => undefined); // a watch never ends by itself: its connection closes at the teardown
  const next = (match: (l: StreamLine) => boolean, what: string) => new Promise<StreamLine>((resolve, reject) => {
    const from = lines.length;
    const guard = setTimeout(() => { waiters.delete(check); reject(new Error(`no line ${what}; got ${JSON.stringify(lines)}`)); }, WAIT_MS);
    const check = () => {
      const hit = lines.slice(from).find(match);
      if (!hit) return;
      clearTimeout(guard);
      waiters.delete(check);
      resolve(hit);
    };
    waiters.add(check);
    check();
  });
  return { lines, last, next };
}

t.test('watch streams decisions and health changes of one door as they happen, and nothing of other doors', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  const watch = streamOf(s, { command: 'watch', door: 'lobby' });
  await watch.next((l) => l.ok && l.stream === 'started', 'started');
  const lobby = f.gateway.simulated!.doors.get('lobby')!;
  f.gateway.simulated!.doors.get('gym')!.cardReader.present('26:12:34567');
  lobby.cardReader.present('26:12:34567');
  const granted = await watch.next((l) => l.ok && l.stream === 'event', 'an event');
  t.match(granted, { stream: 'event', event: { type: 'access', doorId: 'lobby', grant: true, personId: 'alice' } });
  lobby.actuator.setOffline('relay unplugged');
  t.match(await watch.next((l) => l.ok && l.stream === 'health', 'a health change'), { device: 'lobby-lock', doorId: 'lobby', health: { state: 'offline', reason: /relay unplugged/ } });
  t.notOk(watch.lines.some((l) => l.ok && l.stream === 'event' && (l.event as { doorId?: string }).doorId === 'gym'), 'the gym door is not this watch');
  t.equal(f.gateway.journal.stats().lastSeq > 0, true);
});

t.test('watch of a door the gateway does not run fails at once, naming the doors', async (t) => {
  const { socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  t.match(await s.stream({ command: 'watch', door: 'attic' }, () => undefined), { ok: false, code: 'NOT_FOUND', error: /door attic does not exist on this gateway \(doors: lobby, / });
  t.match(await s.request({ command: 'status' }), { ok: true }, 'the connection takes requests again');
});

t.test('a watcher is not idle: the idle timeout does not close it', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath);
  const watch = streamOf(s, { command: 'watch' });
  await watch.next((l) => l.ok && l.stream === 'started', 'started');
  f.clock.advance(10 * 60_000);
  f.gateway.simulated!.doors.get('lobby')!.rex.pulse();
  t.match(await watch.next((l) => l.ok && l.stream === 'event', 'an event after 10 idle minutes'), { event: { reason: 'request_to_exit' } });
});

t.test('a watcher that does not read is dropped at 64 KiB unread with a last TOO_SLOW line, not buffered', async (t) => {
  const { f, server, socketPath } = await controlRig(t);
  const socket = createConnection(socketPath);
  t.teardown(() => socket.destroy());
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(`${JSON.stringify({ command: 'watch' })}\n`);
  socket.pause(); // never reads
  const dropped = new Promise<number>((resolve) => server.once('dropped', resolve));
  const lobby = f.gateway.simulated!.doors.get('lobby')!;
  let presented = 0;
  let unread: number | null = null;
  void dropped.then((n) => { unread = n; });
  // the kernel's socket buffer fills first; then the daemon's unread bytes pass the bound
  while (unread === null && presented < 200_000) {
    lobby.cardReader.present('26:12:34567');
    presented++;
    if (presented % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  t.ok(unread !== null, `dropped after ${presented} presentations`);
  t.ok(unread! > MAX_UNREAD_BYTES && unread! < MAX_UNREAD_BYTES + 4096, `unread when dropped: ${unread} bytes (one line past the bound)`);
  const held = server.stats().bufferedBytes;
  for (let i = 0; i < 1000; i++) lobby.cardReader.present('26:12:34567');
  t.ok(server.stats().bufferedBytes <= held, 'nothing more is queued for the dropped watcher');
  // the client reads at last: everything up to the drop, then why
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => { text += chunk; });
  socket.resume();
  await new Promise<void>((resolve) => socket.once('end', () => resolve()));
  const last = JSON.parse(text.trimEnd().split('\n').pop()!);
  t.match(last, { ok: false, code: 'TOO_SLOW', error: /left more than 65536 bytes of the stream unread/ });
});

t.test('learn mode: the next unknown card is denied as usual, its number goes to the installer only', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath, true);
  const before = f.gateway.journal.stats().lastSeq;
  const learn = streamOf(s, { command: 'learn', door: 'lobby', forMs: 60_000 });
  t.match(await learn.next((l) => l.ok && l.stream === 'started', 'started'), { note: /learn mode at door lobby for 60 s/ });
  const lobby = f.gateway.simulated!.doors.get('lobby')!;
  lobby.cardReader.present('26:12:34567'); // alice: known, not learned
  lobby.cardReader.present('26:077:04242');
  t.match(await learn.last, { ok: true, stream: 'end', reason: 'learned' });
  t.same(learn.lines.filter((l) => l.ok && l.stream === 'learned'), [{ ok: true, stream: 'learned', kind: 'card', value: '26:77:4242' }]);
  t.equal(lobby.actuator.state(), 'unlocked', "alice's grant released the door");
  const rows = f.gateway.journal.recent(before, 100);
  t.match(rows.map((r) => `${r.type}:${r.reason}`), ['security:learn_started', 'access:granted', 'access:unknown_credential', 'security:learn_captured', 'security:learn_ended']);
  t.match(rows.find((r) => r.reason === 'unknown_credential'), { grant: false }, 'the unknown card is denied');
  t.match(rows[0], { data: { forMs: 60_000, uid: process.getuid!() } });
  t.match(rows.find((r) => r.reason === 'learn_captured'), { doorId: 'lobby', data: { kind: 'card' } });
  const everything = JSON.stringify(f.gateway.journal.recent(0, 10_000));
  t.notMatch(everything, /4242/, 'the learned number is nowhere in the journal (what the cloud is uploaded)');
  t.notMatch(f.logs.join(''), /4242/, 'nor in the logs');
});

t.test('learn mode takes a keypad code too, and ends on the Clock when nothing comes', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath, true);
  const gym = f.gateway.simulated!.doors.get('gym')!;
  const first = streamOf(s, { command: 'learn', door: 'gym' });
  await first.next((l) => l.ok && l.stream === 'started', 'started');
  gym.keypad.press('8642#');
  await first.last;
  t.same(first.lines.find((l) => l.ok && l.stream === 'learned'), { ok: true, stream: 'learned', kind: 'pin', value: '8642' });
  const second = streamOf(s, { command: 'learn', door: 'gym', forMs: 5_000 });
  await second.next((l) => l.ok && l.stream === 'started', 'started');
  f.clock.advance(4_999);
  t.notOk(second.lines.some((l) => l.ok && l.stream === 'learned'));
  f.clock.advance(1);
  t.match(await second.last, { ok: true, stream: 'end', reason: 'timeout' });
  gym.cardReader.present('26:1:2'); // after the end: denied, learned by nobody
  t.notMatch(JSON.stringify(f.gateway.journal.recent(0, 10_000)), /8642/);
  t.notMatch(f.logs.join(''), /8642/);
  // the same connection takes requests again
  t.match(await s.request({ command: 'status' }), { ok: true });
});

t.test('learn mode: refused without an operator (journaled), for an unknown door, and beyond 10 minutes', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const anonymous = await session(t, socketPath);
  t.match(await anonymous.stream({ command: 'learn', door: 'lobby' }, () => undefined), { ok: false, code: 'NOT_AUTHORISED' });
  t.match(f.gateway.journal.recent(0, 100).at(-1), { type: 'security', reason: 'control_refused', data: { command: 'learn' } });
  const s = await session(t, socketPath, true);
  t.match(await s.stream({ command: 'learn', door: 'attic' }, () => undefined), { ok: false, code: 'NOT_FOUND', error: /door attic does not exist/ });
  t.match(await s.request({ command: 'learn', door: 'lobby', forMs: 600_001 } as never), { ok: false, code: 'INPUT_INVALID', error: /forMs/ });
});

t.test('a learn mode cancelled by the client closing ends and is journaled', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath, true);
  const learn = streamOf(s, { command: 'learn', door: 'lobby' });
  await learn.next((l) => l.ok && l.stream === 'started', 'started');
  const ended = new Promise<void>((resolve) => {
    const stop = f.gateway.journal.watch((e) => { if (e.reason === 'learn_ended') { stop(); resolve(); } });
  });
  s.close();
  await ended;
  t.match(f.gateway.journal.recent(0, 100).at(-1), { reason: 'learn_ended', data: { why: 'cancelled' } });
});

async function doorTest(t: Test, f: Awaited<ReturnType<typeof controlRig>>['f'], s: ControlSession, request: Parameters<ControlSession['stream']>[0]) {
  const test = streamOf(s, request);
  for (const pattern of INDICATOR_PATTERNS) {
    await test.next((l) => l.ok && l.stream === 'pattern' && l.pattern === pattern, `pattern ${pattern}`);
    f.clock.advance(PATTERN_MS);
  }
  return test;
}

t.test('door test: pulses the strike, shows every pattern, reports health and the inputs live, journaled with the operator', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath, true);
  const lobby = f.gateway.simulated!.doors.get('lobby')!;
  const test = await doorTest(t, f, s, { command: 'doorTest', door: 'lobby', watchMs: 30_000 });
  t.match(test.lines[1], { stream: 'pulse', released: true, ms: TEST_PULSE_MS });
  t.same(lobby.indicator.recording.map((r) => r.pattern).slice(-INDICATOR_PATTERNS.length - 1), [...INDICATOR_PATTERNS, 'idle'], 'each pattern, then the mode pattern again');
  await test.next((l) => l.ok && l.stream === 'input' && l.input === 'fire' && l.initial, 'the fire input');
  t.match(test.lines.filter((l) => l.ok && l.stream === 'health').map((l) => l.ok && l.stream === 'health' && l.device), ['lobby-card', 'lobby-keypad', 'lobby-fp', 'lobby-mobile', 'lobby-lock', 'lobby-contact', 'lobby-rex', 'lobby-led', 'fire']);
  t.match(test.lines.filter((l) => l.ok && l.stream === 'input'), [{ input: 'door', value: false, initial: true }, { input: 'rex', initial: true }, { input: 'fire', value: false, initial: true }]);
  lobby.contact.set(true);
  t.match(await test.next((l) => l.ok && l.stream === 'input' && !l.initial, 'a live change'), { input: 'door', value: true });
  f.clock.advance(30_000);
  t.match(await test.last, { ok: true, stream: 'end', reason: 'done' });
  t.match(f.gateway.journal.recent(0, 1000).find((e) => e.reason === 'door_test'), { type: 'access', grant: true, doorId: 'lobby', data: { ms: TEST_PULSE_MS, forced: false, uid: process.getuid!() } });
});

t.test('door test in lockdown is refused unless forced; in fire release the pulse is moot and says so', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath, true);
  await s.request({ command: 'lockdown', door: 'lobby', on: true });
  const refused = await s.stream({ command: 'doorTest', door: 'lobby' }, () => undefined);
  t.match(refused, { ok: false, code: 'UNAVAILABLE', error: /locked down/ });
  t.equal(f.gateway.simulated!.doors.get('lobby')!.actuator.state(), 'locked');
  const forced = await doorTest(t, f, s, { command: 'doorTest', door: 'lobby', force: true });
  t.match(forced.lines[1], { stream: 'pulse', released: true, note: /forced, in lockdown/ });
  await forced.last;
  await s.request({ command: 'lockdown', door: 'lobby', on: false });
  await s.request({ command: 'fire', active: true });
  const fire = await doorTest(t, f, s, { command: 'doorTest', door: 'lobby' });
  t.match(fire.lines[1], { stream: 'pulse', released: false, note: /fire release is active/ });
  t.match(await fire.last, { stream: 'end' });
});

t.test('door test with the actuator offline still reports everything: the pulse says why, the health says offline', async (t) => {
  const { f, socketPath } = await controlRig(t);
  const s = await session(t, socketPath, true);
  f.gateway.simulated!.doors.get('gym')!.actuator.setOffline('relay board unplugged');
  const test = await doorTest(t, f, s, { command: 'doorTest', door: 'gym' });
  await test.last;
  t.match(test.lines[1], { stream: 'pulse', released: false, note: /actuator offline \(.*relay board unplugged/ });
  t.match(test.lines.find((l) => l.ok && l.stream === 'health' && l.device === 'gym-lock'), { health: { state: 'offline' } });
  t.notOk(f.gateway.journal.recent(0, 1000).some((e) => e.reason === 'door_test'), 'no pulse, no door_test event');
});
