import { Writable } from 'node:stream';
import t from 'tap';
import { pino } from 'pino';
import { ManualClock } from '../../src/kernel/clock.js';
import { CommandHandler, type CommandClaims, type CommandTarget } from '../../src/cloud/commandHandler.js';
import { CommandResponseSchema, CommandSchema, type Command, type CommandResponse } from '../../src/wire/messages.js';
import { GatewayError } from '../../src/kernel/gatewayError.js';

const NOW = Date.parse('2026-11-23T09:00:00Z');
const LIVE = { retained: false };

class RecordingTarget implements CommandTarget {
  readonly calls: unknown[][] = [];
  doors = new Set(['lobby', 'garage']);
  unlockError: unknown = null;

  hasDoor(doorId: string): boolean {
    return this.doors.has(doorId);
  }

  unlockDoor(doorId: string, ms: number, correlationId: string): void {
    this.calls.push(['unlockDoor', doorId, ms, correlationId]);
    if (this.unlockError !== null) throw this.unlockError;
  }

  setLockdown(doorId: string | null, on: boolean): void {
    this.calls.push(['setLockdown', doorId, on]);
  }

  requestResync(): string {
    this.calls.push(['requestResync']);
    return 'sync-42';
  }

  status(): Record<string, unknown> {
    return { revision: 7, doors: 2 };
  }
}

function setup() {
  const clock = new ManualClock(NOW);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { logs.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  const target = new RecordingTarget();
  const handler = new CommandHandler({ target, clock, logger: pino({ level: 'debug' }, sink) });
  let n = 0;
  /** claims of a fresh token valid for an hour */
  const claims = (overrides: Partial<CommandClaims> = {}): CommandClaims => ({ jti: `jti-${++n}`, iat: clock.now() / 1000, exp: clock.now() / 1000 + 3600, ...overrides });
  return { clock, logs, target, handler, claims };
}

const command = (input: unknown): Command => CommandSchema.parse(input);
const unlock = (correlationId = 'c-1', doorId = 'lobby', seconds = 5) => command({ correlationId, name: 'unlock', doorId, seconds });
/** every response must be a valid command_response */
const valid = (response: CommandResponse) => CommandResponseSchema.parse(response);

t.test('unlock opens the door for the seconds asked, answers ok and logs the command', async (t) => {
  const { handler, target, claims, logs } = setup();
  const response = valid(handler.handle(unlock('c-1', 'lobby', 7), claims(), LIVE));
  t.match(response, { correlationId: 'c-1', result: 'ok' });
  t.same(target.calls, [['unlockDoor', 'lobby', 7000, 'c-1']]);
  t.match(logs.find((l) => l.msg === 'command handled'), { level: 30, module: 'cloud:commands', name: 'unlock', correlationId: 'c-1', result: 'ok' });
});

t.test('a retained command is never executed: a stale retained unlock must not open a door', async (t) => {
  const { handler, target, claims } = setup();
  const response = valid(handler.handle(unlock(), claims(), { retained: true }));
  t.equal(response.result, 'invalid');
  t.match(response.message, /retained commands are ignored/);
  t.same(target.calls, []);
});

t.test('a replayed correlationId or jti is not executed again and answers duplicate with the first result', async (t) => {
  const { handler, target, claims } = setup();
  const first = claims();
  handler.handle(unlock('c-1'), first, LIVE);
  const sameId = valid(handler.handle(unlock('c-1'), claims(), LIVE));
  t.match(sameId, { correlationId: 'c-1', result: 'duplicate', data: { originalResult: 'ok' } });
  const sameToken = valid(handler.handle(unlock('c-2'), first, LIVE));
  t.match(sameToken, { correlationId: 'c-2', result: 'duplicate', data: { originalResult: 'ok' } });
  t.equal(target.calls.length, 1, 'the door was unlocked once');

  target.unlockError = new GatewayError('UNAVAILABLE', 'door lobby is locked down');
  handler.handle(unlock('c-3'), claims(), LIVE);
  target.unlockError = null;
  t.match(handler.handle(unlock('c-3'), claims(), LIVE), { result: 'duplicate', data: { originalResult: 'unavailable' } }, 'a refusal is remembered too');
});

t.test('a command is remembered until its token expired plus the replay window, then forgotten', async (t) => {
  const { clock, handler, target, claims } = setup();
  handler.handle(unlock('c-1'), claims({ exp: NOW / 1000 + 60 }), LIVE);
  clock.advance(60_000 + 5 * 60_000 - 1);
  t.equal(handler.handle(unlock('c-1'), claims(), LIVE).result, 'duplicate', 'still inside exp + 5 min');
  clock.advance(1);
  t.equal(handler.handle(unlock('c-1'), claims(), LIVE).result, 'ok', 'forgotten after exp + 5 min (such a token is refused as expired)');
  t.equal(target.calls.length, 2);
});

t.test('the replay memory is bounded: beyond its size the oldest command is forgotten', async (t) => {
  const clock = new ManualClock(NOW);
  const target = new RecordingTarget();
  const handler = new CommandHandler({ target, clock, logger: pino({ level: 'silent' }), maxRemembered: 2 });
  const claims = (jti: string): CommandClaims => ({ jti, iat: NOW / 1000, exp: NOW / 1000 + 3600 });
  handler.handle(unlock('c-1'), claims('j-1'), LIVE);
  handler.handle(unlock('c-2'), claims('j-2'), LIVE);
  handler.handle(unlock('c-3'), claims('j-3'), LIVE);
  t.equal(handler.handle(unlock('c-2'), claims('j-9'), LIVE).result, 'duplicate', 'c-2 is still remembered');
  t.equal(handler.handle(unlock('c-1'), claims('j-10'), LIVE).result, 'ok', 'c-1 was evicted as the oldest');
});

t.test('unknown doors answer unknown_door and nothing is executed', async (t) => {
  const { handler, target, claims } = setup();
  t.equal(valid(handler.handle(unlock('c-1', 'attic'), claims(), LIVE)).result, 'unknown_door');
  t.equal(valid(handler.handle(command({ correlationId: 'c-2', name: 'lockdown', active: true, scope: 'door', doorId: 'attic' }), claims(), LIVE)).result, 'unknown_door');
  t.same(target.calls, []);
});

t.test('a target that is unavailable answers unavailable; any other failure answers failed, without a stack', async (t) => {
  const { handler, target, claims } = setup();
  target.unlockError = new GatewayError('UNAVAILABLE', 'door lobby is locked down: a remote unlock does not override lockdown');
  t.match(valid(handler.handle(unlock('c-1'), claims(), LIVE)), { result: 'unavailable', message: /locked down/ });
  target.unlockError = new GatewayError('DEVICE_ERROR', 'relay board refused');
  t.match(valid(handler.handle(unlock('c-2'), claims(), LIVE)), { result: 'failed', message: 'relay board refused' });
  target.unlockError = new Error('boom');
  const failed = valid(handler.handle(unlock('c-3'), claims(), LIVE));
  t.equal(failed.message, 'boom');
  t.notMatch(failed.message, /at .*\.ts/, 'no stack');
  target.unlockError = 'a string';
  t.match(valid(handler.handle(unlock('c-4'), claims(), LIVE)), { result: 'failed', message: 'a string' });
  target.unlockError = new Error('x'.repeat(5000));
  t.equal(valid(handler.handle(unlock('c-5'), claims(), LIVE)).message.length, 1000, 'a long message is cut to the schema limit');
});

t.test('lockdown for the site or a door, resync and status', async (t) => {
  const { handler, target, claims } = setup();
  t.equal(valid(handler.handle(command({ correlationId: 'l-1', name: 'lockdown', active: true, scope: 'site' }), claims(), LIVE)).result, 'ok');
  t.equal(valid(handler.handle(command({ correlationId: 'l-2', name: 'lockdown', active: false, scope: 'door', doorId: 'garage' }), claims(), LIVE)).result, 'ok');
  t.same(target.calls, [['setLockdown', null, true], ['setLockdown', 'garage', false]]);
  t.match(valid(handler.handle(command({ correlationId: 'r-1', name: 'resync' }), claims(), LIVE)), { result: 'ok', data: { transaction: 'sync-42' } });
  t.same(target.calls.at(-1), ['requestResync']);
  t.match(valid(handler.handle(command({ correlationId: 's-1', name: 'status' }), claims(), LIVE)), { result: 'ok', data: { revision: 7, doors: 2 } });
});

t.test('rejected messages get the result their failure reason calls for', async (t) => {
  const { handler, logs } = setup();
  const cases: [string, string, string][] = [
    ['bad_signature', 'signature does not verify', 'unauthorized'],
    ['unknown_key', 'no key k-9', 'unauthorized'],
    ['algorithm', 'alg HS256 is not allowed', 'unauthorized'],
    ['unsigned', 'alg none', 'unauthorized'],
    ['wrong_audience', 'aud gw-2', 'unauthorized'],
    ['expired', 'exp is in the past', 'expired'],
    ['not_yet_valid', 'nbf is in the future', 'expired'],
    ['malformed', 'not a JWS', 'invalid'],
    ['too_large', 'too many bytes', 'too_large'],
    ['schema', 'command: seconds: Too small', 'invalid'],
    ['schema', "command: name: Invalid discriminator value. Expected 'unlock' | 'lockdown' | 'resync' | 'status'", 'unknown_command'],
    ['replay', 'jti seen', 'duplicate'],
    ['something_new', 'a reason added later', 'invalid'],
  ];
  for (const [reason, detail, result] of cases) {
    t.match(valid(handler.rejected(reason, detail, 'c-1')), { correlationId: 'c-1', result }, `${reason}: ${detail}`);
  }
  t.equal(valid(handler.rejected('schema', 'anything', 'c-1', ['name'])).result, 'unknown_command', 'the schema path decides when given');
  t.equal(valid(handler.rejected('schema', 'command: name: x', 'c-1', ['doorId'])).result, 'invalid');
  t.equal(valid(handler.rejected('bad_signature', 'x', null)).correlationId, null, 'no correlationId when it could not be read');
  t.equal(valid(handler.rejected('malformed', 'y'.repeat(2000), null)).message.length, 1000);
  t.match(logs.filter((l) => l.msg === 'command rejected').at(-1), { level: 40, reason: 'malformed', result: 'invalid' });
});
