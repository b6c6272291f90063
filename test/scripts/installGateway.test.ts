import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv } from '../support/childEnv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/install-gateway.sh');

t.test('the installer stages a gateway: unit, production config with the id, a private device secret', async (t) => {
  // a fake build: the script copies dist/ from the checkout; give it one if none is built
  const built = existsSync(join(root, 'dist/src/main.js'));
  if (!built) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, env: childEnv(), stdio: 'ignore' });
  const stage = t.testdir();
  const out = execFileSync('bash', [script, '--root', stage, '--gateway-id', 'gw-0042'], { cwd: root, encoding: 'utf8', env: childEnv() });
  t.match(out, /staged in/);
  t.ok(existsSync(join(stage, 'opt/lockgw/dist/src/main.js')));
  t.ok(existsSync(join(stage, 'etc/systemd/system/lockgw.service')));
  const config = readFileSync(join(stage, 'etc/lockgw/lockgw.yaml'), 'utf8');
  t.match(config, /id: gw-0042/);
  t.match(config, /seed: false/);
  const secret = join(stage, 'var/lib/lockgw/device-secret');
  t.match(readFileSync(secret, 'utf8'), /^[0-9a-f]{64}\n$/);
  t.equal(statSync(secret).mode & 0o777, 0o600);

  // a second run keeps the config an installer edited, and the secret
  writeFileSync(join(stage, 'etc/lockgw/lockgw.yaml'), 'gateway:\n  id: edited\n');
  const before = readFileSync(secret, 'utf8');
  execFileSync('bash', [script, '--root', stage, '--gateway-id', 'gw-0042'], { cwd: root, encoding: 'utf8', env: childEnv() });
  t.equal(readFileSync(join(stage, 'etc/lockgw/lockgw.yaml'), 'utf8'), 'gateway:\n  id: edited\n');
  t.equal(readFileSync(secret, 'utf8'), before);
});

t.test('the installer refuses a missing or malformed gateway id', async (t) => {
  const stage = t.testdir();
  let r = spawnSync('bash', [script, '--root', stage], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /--gateway-id is required/);
  r = spawnSync('bash', [script, '--root', stage, '--gateway-id', 'bad id'], { encoding: 'utf8' });
  t.equal(r.status, 2);
  t.match(r.stderr, /may contain only/);
});
