import t from 'tap';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nightlyBackupName, rotateBackups } from '../../src/app/backupRotation.js';

t.test('rotation keeps the newest N nightly backups of this gateway and touches nothing else', async (t) => {
  const dir = t.testdir();
  const day = 86_400_000;
  const start = Date.parse('2026-12-01T02:30:00Z');
  const names = [0, 1, 2, 3, 4].map((d) => nightlyBackupName('gw-0042', start + d * day));
  t.equal(names[0], 'lockgw-gw-0042-20261201T023000Z.backup');
  for (const name of names) writeFileSync(join(dir, name), 'lockgw-backup/1\n{}');
  const others = [
    nightlyBackupName('gw-0043', start), // another gateway's
    'lockgw-gw-0042-20261130T023000Z.backup.copy', // an installer's copy
    'pre-upgrade-0.1.0-20261130T023000Z.backup',
  ];
  for (const name of others) writeFileSync(join(dir, name), 'lockgw-backup/1\n{}');
  const impostor = nightlyBackupName('gw-0042', start - day);
  writeFileSync(join(dir, impostor), 'not a backup, though named like one');

  const removed = rotateBackups(dir, 'gw-0042', 3);
  t.same(removed, names.slice(0, 2).map((n) => join(dir, n)));
  t.same(readdirSync(dir).sort(), [...names.slice(2), ...others, impostor].sort());
  t.same(rotateBackups(dir, 'gw-0042', 3), [], 'a second rotation removes nothing');
});
