import t from 'tap';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isEntryPoint } from '../../src/app/entryPoint.js';

t.test('a module run through a symlink to its release is the entry point; another module is not', async (t) => {
  const dir = t.testdir({ releases: { '0.1.0': { 'main.js': '' } } });
  symlinkSync('releases/0.1.0', join(dir, 'current'));
  writeFileSync(join(dir, 'other.js'), '');
  const url = pathToFileURL(join(dir, 'releases/0.1.0/main.js')).href;
  t.ok(isEntryPoint(url, join(dir, 'releases/0.1.0/main.js')), 'by its real path');
  t.ok(isEntryPoint(url, join(dir, 'current/main.js')), 'through /opt/lockgw/current');
  t.notOk(isEntryPoint(url, join(dir, 'other.js')));
  t.notOk(isEntryPoint(url, join(dir, 'missing.js')));
  t.notOk(isEntryPoint(url, undefined), 'node -e');
});
