import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { PairingVault } from '../../src/app/pairingVault.js';

const entry = { doorId: 'front', address: 'aa:bb:cc:dd:ee:01', profile: 'nuki', pairedAt: '2026-12-07T08:00:00Z' };
const secret = { authId: 7, sharedKey: 'c2VjcmV0LXNoYXJlZC1rZXktb2YtMzItYnl0ZXMhIQ==' };

t.test('a pairing is sealed on disk and opens only with the same device secret, door and lock', async (t) => {
  const path = join(t.testdir(), 'ble-pairings.json');
  const deviceSecret = randomBytes(32);
  const vault = new PairingVault(path, deviceSecret);
  t.same(vault.list(), []);
  vault.save(entry, secret);
  t.equal(statSync(path).mode & 0o777, 0o600);
  const text = readFileSync(path, 'utf8');
  t.notOk(text.includes(secret.sharedKey), 'the shared key is not in the file');
  t.notOk(text.includes('authId'));
  t.same(vault.open('front'), { entry, secret });
  t.same(vault.list(), [entry]);
  t.equal(vault.open('back'), undefined);

  t.throws(() => new PairingVault(path, randomBytes(32)).open('front'), { code: 'SECRET_UNAVAILABLE' }, 'another gateway\'s secret');
  const moved = JSON.parse(text) as { pairings: Array<{ doorId: string }> };
  moved.pairings[0]!.doorId = 'back';
  writeFileSync(path, JSON.stringify(moved));
  t.throws(() => vault.open('back'), { code: 'SECRET_UNAVAILABLE' }, 'an entry moved to another door');

  t.ok(vault.remove('back'), 'a broken entry can be removed');
  vault.save(entry, secret);
  vault.save({ ...entry, doorId: 'gym', address: 'aa:bb:cc:dd:ee:02' }, { authId: 8 });
  t.equal(vault.list().length, 2);
  t.ok(vault.remove('front'));
  t.notOk(vault.remove('front'));
  t.same(vault.list().map((e) => e.doorId), ['gym']);
});

t.test('a file that is not a pairing file is refused and left as it is', async (t) => {
  const path = join(t.testdir(), 'ble-pairings.json');
  writeFileSync(path, 'my notes');
  const vault = new PairingVault(path, randomBytes(32));
  t.throws(() => vault.save(entry, secret), { code: 'CONFIG_INVALID', message: /not a lockgw pairing file/ });
  t.equal(readFileSync(path, 'utf8'), 'my notes');
  writeFileSync(path, '{"format":"other"}');
  t.throws(() => vault.list(), { code: 'CONFIG_INVALID' });
});
