import t from 'tap';
import { gatewayFixture, type GatewayFixture } from '../support/gatewayFixture.js';
import { Gateway } from '../../src/app/gateway.js';

// 2026-11-23T09:00Z is Monday 10:00 in Berlin (the demo site's zone)
const sim = (f: GatewayFixture, door: string) => f.gateway.simulated!.doors.get(door)!;
const events = (f: GatewayFixture) => f.gateway.journal.recent(0, 10_000);
const reasons = (f: GatewayFixture) => events(f).map((e) => e.reason);
/** lets rejected device commands reach their handlers (promise callbacks, not a timer) */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

t.test('a granted card unlocks for the pulse, then re-locks by itself; act before record', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = sim(f, 'lobby');
  let journalAtUnlock = -1;
  lobby.actuator.on('state', (s) => { if (s === 'unlocked') journalAtUnlock = f.gateway.journal.stats().lastSeq; });
  const before = f.gateway.journal.stats().lastSeq;
  lobby.cardReader.present('26:12:34567');
  t.equal(lobby.actuator.state(), 'unlocked');
  t.equal(journalAtUnlock, before, 'the strike was released before the event was journaled');
  t.match(events(f).at(-1), { type: 'access', doorId: 'lobby', grant: true, reason: 'granted', personId: 'alice', keyId: 'resident' });
  t.equal(lobby.indicator.current(), 'granted');
  f.clock.advance(4_999);
  t.equal(lobby.actuator.state(), 'unlocked');
  f.clock.advance(1);
  t.equal(lobby.actuator.state(), 'locked');
});

t.test('a denied card stays locked and shows denied', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = sim(f, 'lobby');
  lobby.cardReader.present('26:12:40001'); // bob: lease ended
  t.equal(lobby.actuator.state(), 'locked');
  t.equal(lobby.indicator.current(), 'denied');
  t.match(events(f).at(-1), { grant: false, reason: 'expired', personId: 'bob' });
});

t.test('PIN entry: # submits, * clears, an abandoned entry times out', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = sim(f, 'lobby');
  lobby.keypad.press('99*1234#');
  t.equal(lobby.actuator.state(), 'unlocked', '* cleared the wrong start');
  f.clock.advance(5_000);
  lobby.keypad.press('12');
  f.clock.advance(5_000);
  t.equal(reasons(f).at(-1), 'pin_timeout');
  lobby.keypad.press('34#');
  t.match(events(f).at(-1), { grant: false, reason: 'unknown_credential' }, 'only the digits after the timeout were submitted');
  t.notOk(JSON.stringify(events(f)).includes('1234'), 'no PIN in the journal');
});

t.test('wrong PINs lock the keypad out, escalating; the counter survives a restart', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = () => sim(f, 'lobby');
  for (let i = 0; i < 3; i++) lobby().keypad.press('0000#');
  // restart the gateway on the same files
  await f.gateway.stop();
  await f.gateway.start();
  for (let i = 0; i < 2; i++) lobby().keypad.press('0000#');
  t.match(events(f).at(-1), { type: 'alarm', reason: 'pin_lockout', data: { ms: 60_000, level: 1 } });
  lobby().keypad.press('1234#');
  t.match(events(f).at(-1), { grant: false, reason: 'pin_lockout' }, 'even the right PIN is refused while locked out');
  t.equal(lobby().actuator.state(), 'locked');
  lobby().cardReader.present('26:12:34567');
  t.equal(lobby().actuator.state(), 'unlocked', 'cards still work');
  f.clock.advance(60_000);
  for (let i = 0; i < 5; i++) lobby().keypad.press('0000#');
  t.match(events(f).at(-1), { type: 'alarm', reason: 'pin_lockout', data: { ms: 120_000, level: 2 } }, 'the second lockout is twice as long');
  f.clock.advance(120_000);
  lobby().keypad.press('1234#');
  t.match(events(f).at(-1), { grant: true, reason: 'granted' });
  for (let i = 0; i < 5; i++) lobby().keypad.press('0000#');
  t.match(events(f).at(-1), { reason: 'pin_lockout', data: { ms: 60_000 } }, 'a grant reset the escalation');
});

t.test('card+PIN door: the card waits for its PIN; without it the wait times out', async (t) => {
  const f = await gatewayFixture(t);
  const room = sim(f, 'server-room');
  room.cardReader.present('26:12:1001');
  t.equal(room.actuator.state(), 'locked');
  t.equal(room.indicator.current(), 'pin_entry');
  room.keypad.press('4321#');
  t.equal(room.actuator.state(), 'unlocked');
  t.match(events(f).at(-1), { grant: true, reason: 'granted', personId: 'carol', keyId: 'staff', credentialId: 'carol-card' });
  f.clock.advance(3_000);
  room.cardReader.present('26:12:1001');
  f.clock.advance(10_000);
  t.equal(reasons(f).at(-1), 'second_factor_timeout');
  room.keypad.press('4321#');
  t.match(events(f).at(-1), { grant: false, reason: 'second_factor_required' }, 'a PIN alone does not open it');
});

t.test('card+PIN door: a verified phone key is a first factor and waits for its holder\'s PIN', async (t) => {
  const f = await gatewayFixture(t);
  f.gateway.applyBatch([{ op: 'upsert', entity: 'credential', record: { id: 'carol-phone', personId: 'carol', kind: 'mobile', mobileKeyId: 'carol-phone' } }], { source: 'local' });
  const room = sim(f, 'server-room');
  room.mobileReader.tap('carol-phone');
  t.equal(room.actuator.state(), 'locked', 'the phone key alone does not open it');
  t.equal(room.indicator.current(), 'pin_entry');
  room.keypad.press('9999#');
  t.equal(room.actuator.state(), 'locked');
  t.match(events(f).at(-1), { grant: false, reason: 'second_factor_mismatch', credentialId: 'carol-phone' });
  room.mobileReader.tap('carol-phone');
  room.keypad.press('4321#');
  t.equal(room.actuator.state(), 'unlocked');
  t.match(events(f).at(-1), { grant: true, reason: 'granted', personId: 'carol', credentialId: 'carol-phone' });
  f.clock.advance(6_000);
  room.mobileReader.tap('carol-phone');
  f.clock.advance(10_000);
  t.equal(reasons(f).at(-1), 'second_factor_timeout');
  t.equal(room.actuator.state(), 'locked');
});

t.test('a duress PIN opens, shows a normal grant and records a silent alarm', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = sim(f, 'lobby');
  lobby.keypad.press('9111#');
  t.equal(lobby.actuator.state(), 'unlocked');
  t.equal(lobby.indicator.current(), 'granted');
  t.match(events(f).slice(-2), [{ type: 'access', grant: true, reason: 'duress' }, { type: 'alarm', reason: 'duress', personId: 'carol' }]);
});

t.test('people flagged for accessibility get the extended unlock time', async (t) => {
  const f = await gatewayFixture(t);
  f.gateway.applyBatch([{ op: 'upsert', entity: 'person', record: { id: 'alice', name: 'Alice Resident', extendedUnlock: true } }], { source: 'cloud' });
  const lobby = sim(f, 'lobby');
  lobby.cardReader.present('26:12:34567');
  f.clock.advance(14_999);
  t.equal(lobby.actuator.state(), 'unlocked');
  f.clock.advance(1);
  t.equal(lobby.actuator.state(), 'locked');
});

t.test('the door re-locks as soon as it closes after an opening', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = sim(f, 'lobby');
  lobby.cardReader.present('26:12:34567');
  lobby.contact.set(true);
  f.clock.advance(1_000);
  lobby.contact.set(false);
  t.equal(lobby.actuator.state(), 'locked');
  t.notOk(reasons(f).includes('forced_open'));
});

t.test('forced open and held open alarms; request-to-exit masks the forced alarm', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = sim(f, 'lobby');
  lobby.contact.set(true);
  t.match(events(f).find((e) => e.type === 'alarm'), { reason: 'forced_open', doorId: 'lobby' });
  t.same(f.gateway.doors.get('lobby')!.status().alarms, ['forced_open']);
  f.clock.advance(30_000);
  t.ok(reasons(f).includes('held_open'));
  lobby.contact.set(false);
  t.ok(reasons(f).includes('forced_open_cleared'));
  t.ok(reasons(f).includes('held_open_cleared'));
  t.same(f.gateway.doors.get('lobby')!.status().alarms, []);

  const count = reasons(f).filter((r) => r === 'forced_open').length;
  lobby.rex.pulse();
  t.equal(lobby.actuator.state(), 'unlocked', 'REX unlocks');
  lobby.contact.set(true);
  lobby.contact.set(false);
  t.equal(reasons(f).filter((r) => r === 'forced_open').length, count, 'no forced alarm after a REX');
  t.ok(reasons(f).includes('request_to_exit'));
});

t.test('first-person-in passage: the garage opens for business hours after a staff grant, and closes at 18:00', async (t) => {
  const f = await gatewayFixture(t);
  const garage = sim(f, 'garage');
  t.equal(garage.actuator.state(), 'locked', 'not before a staff member came in');
  garage.cardReader.present('26:12:34567'); // alice is a resident, not staff
  f.clock.advance(5_000);
  t.equal(garage.actuator.state(), 'locked');
  garage.cardReader.present('26:12:1001'); // carol, staff
  t.equal(f.gateway.doors.get('garage')!.mode(), 'passage');
  f.clock.advance(60_000);
  t.equal(garage.actuator.state(), 'unlocked', 'held open after the pulse');
  t.ok(reasons(f).includes('passage_on'));
  f.clock.advance(8 * 3_600_000); // to 18:01
  t.equal(f.gateway.doors.get('garage')!.mode(), 'normal');
  t.equal(garage.actuator.state(), 'locked');
  t.ok(reasons(f).includes('passage_off'));
});

t.test('a passage schedule without first-person-in opens on its own', async (t) => {
  const f = await gatewayFixture(t, { doors: [{ id: 'lobby', passage: { scheduleId: 'business-hours' } }] }, '2026-11-23T06:30:00Z');
  const lobby = sim(f, 'lobby');
  t.equal(lobby.actuator.state(), 'locked', '07:30: closed');
  f.clock.advance(30 * 60_000);
  t.equal(lobby.actuator.state(), 'unlocked', '08:00: passage');
  lobby.contact.set(true);
  t.notOk(reasons(f).includes('forced_open'), 'opening in passage is not forced');
  f.clock.advance(60 * 60_000);
  t.notOk(reasons(f).includes('held_open'), 'nor held');
});

t.test('lockdown locks the door and suspends passage; lifting it restores', async (t) => {
  const f = await gatewayFixture(t, { doors: [{ id: 'lobby', passage: { scheduleId: 'business-hours' } }, { id: 'gym' }] });
  const lobby = sim(f, 'lobby');
  t.equal(lobby.actuator.state(), 'unlocked');
  f.gateway.setLockdown('lobby', true);
  t.equal(lobby.actuator.state(), 'locked');
  t.equal(lobby.indicator.current(), 'lockdown');
  lobby.cardReader.present('26:12:34567');
  t.equal(lobby.actuator.state(), 'locked');
  t.equal(reasons(f).at(-1), 'locked_down');
  lobby.rex.pulse();
  t.equal(lobby.actuator.state(), 'locked', 'REX does not release a locked-down door');
  f.gateway.setLockdown('lobby', false);
  t.equal(lobby.actuator.state(), 'unlocked', 'passage resumes');
  f.gateway.setLockdown(null, true);
  t.equal(f.gateway.doors.get('gym')!.mode(), 'lockdown', 'site lockdown reaches every door');
  sim(f, 'gym').cardReader.present('26:12:34567');
  t.equal(sim(f, 'gym').actuator.state(), 'locked');
});

t.test('the fire input releases the configured doors, over lockdown, without the database', async (t) => {
  const f = await gatewayFixture(t);
  f.gateway.setLockdown(null, true);
  f.gateway.database.close(); // the database is gone
  f.gateway.simulated!.fire!.set(true);
  for (const door of ['lobby', 'garage', 'gym', 'pool']) t.equal(sim(f, door).actuator.state(), 'unlocked', `${door} released`);
  t.equal(sim(f, 'server-room').actuator.state(), 'locked', 'a door not configured for fire release stays locked');
  t.equal(f.gateway.doors.get('lobby')!.mode(), 'fire');
  f.gateway.simulated!.fire!.set(false);
  t.equal(sim(f, 'lobby').actuator.state(), 'locked', 'back to lockdown');
  // the fixture's teardown stops the gateway; the journal could not write, which it reports, not throws
});

t.test('a fail-safe maglock is energised while locked and released by de-energising', async (t) => {
  const f = await gatewayFixture(t);
  const pool = sim(f, 'pool');
  t.equal(pool.actuator.energised(), true);
  pool.cardReader.present('26:12:34567');
  t.equal(pool.actuator.energised(), false);
});

t.test('an actuator that comes back online gets the intended state re-applied', async (t) => {
  const f = await gatewayFixture(t, { doors: [{ id: 'lobby', passage: { scheduleId: 'business-hours' } }] }, '2026-11-23T06:59:00Z');
  const lobby = sim(f, 'lobby');
  lobby.actuator.setOffline('USB relay unplugged');
  t.match(f.gateway.doors.get('lobby')!.status().health, { state: 'offline', reason: /USB relay unplugged/ });
  f.clock.advance(60_000); // 08:00: passage should start, but the actuator is away
  t.equal(lobby.actuator.state(), 'locked');
  await settled();
  t.ok(reasons(f).includes('actuator_failed'));
  lobby.actuator.setOnline();
  t.equal(lobby.actuator.state(), 'unlocked', 'the pending passage resumed');
  f.gateway.setLockdown('lobby', true);
  lobby.actuator.setOffline('unplugged again');
  f.gateway.setLockdown('lobby', true);
  lobby.actuator.setOnline();
  t.equal(lobby.actuator.state(), 'locked', 'a door in lockdown stays locked down');
});

t.test('stopping the gateway returns every actuator to its unpowered state', async (t) => {
  const f = await gatewayFixture(t);
  const lobby = sim(f, 'lobby');
  lobby.cardReader.present('26:12:34567');
  t.equal(lobby.actuator.energised(), true);
  await f.gateway.stop();
  t.equal(lobby.actuator.energised(), false);
  t.equal(sim(f, 'pool').actuator.energised(), false, 'the maglock too');
  await f.gateway.start();
});

t.test('a gateway without doors configured and without the demo runs no doors', async (t) => {
  const f = await gatewayFixture(t);
  const bare = new Gateway({ ...f.gateway.config, demo: { seed: false } }, { clock: f.clock, logger: (await import('pino')).pino({ level: 'silent' }) });
  await f.gateway.stop();
  await bare.start();
  t.same(bare.doors.status(), []);
  await bare.stop();
  await f.gateway.start();
});

t.test('a phone key issued after the last sync opens with the cloud-signed access document it carries; the journal says so', async (t) => {
  const { generateSigningKeyPair } = await import('../../src/wire/keys.js');
  const { signAccessDocument } = await import('../../src/wire/accessDocument.js');
  const cloud = generateSigningKeyPair('cloud-1');
  const f = await gatewayFixture(t, { gateway: { id: 'gw-test' }, cloud: { keys: [{ kid: 'cloud-1', pem: cloud.publicPem }] } });
  const lobby = sim(f, 'lobby');
  const now = f.clock.now();
  const revision = f.gateway.engine.applied().revision;
  const doc = { credentialId: 'gus-phone', personId: 'gus', publicKey: 'MCowBQYDK2VwAyEA' + 'A'.repeat(44), doors: [{ doorId: 'lobby' }], validUntil: now + 3_600_000, revision: revision + 1 };
  const signer = { kid: 'cloud-1', privateKey: cloud.privateKey, issuer: 'portal' };
  lobby.mobileReader.tap('gus-phone');
  t.match(events(f).at(-1), { grant: false, reason: 'unknown_credential' }, 'no document: unknown');
  lobby.mobileReader.tap('gus-phone', signAccessDocument(doc, signer, 'gw-test', now));
  t.equal(lobby.actuator.state(), 'unlocked');
  t.match(events(f).at(-1), { grant: true, reason: 'granted', personId: 'gus', credentialId: 'gus-phone', data: { kind: 'mobile', via: 'document' } });
  f.clock.advance(6_000);
  lobby.mobileReader.tap('gus-phone', signAccessDocument(doc, signer, 'gw-other', now));
  t.match(events(f).at(-1), { grant: false, reason: 'document_invalid' }, 'a document for another gateway');
  lobby.mobileReader.tap('gus-phone', signAccessDocument({ ...doc, revision }, signer, 'gw-test', now));
  t.match(events(f).at(-1), { grant: false, reason: 'document_superseded' }, 'a document no newer than the rules applied');
  t.equal(lobby.actuator.state(), 'locked');
});
