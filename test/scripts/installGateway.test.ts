/**
 * scripts/install-gateway.sh driven with bash in a staging root (--root): a fresh install, an
 * upgrade (backup first, the new release beside the old, `current` switched, restart), a
 * rollback, a re-run with another gateway id, a failed dependency install. Two stand-ins, both
 * commands the script takes: the service manager (--service-manager: a script that logs its
 * arguments, no systemctl) and the dependency install (LOCKGW_INSTALL_DEPS: instead of
 * `npm ci --omit=dev`, which needs the registry, a script that logs where it ran and links this
 * checkout's node_modules). The releases are this checkout, built fresh by the test.
 */
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../src/store/database.js';
import { childEnv } from '../support/childEnv.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts/install-gateway.sh');
// a build and a dozen installs, each starting node a few times: minutes on a loaded machine
t.setTimeout(900_000);
const work = t.testdir();
const build = join(work, 'build');
// the daemon and the CLI (src/, and what it imports), without the source maps: what a release needs
writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({
  extends: join(root, 'tsconfig.json'),
  compilerOptions: { rootDir: root, outDir: build, sourceMap: false },
  include: [join(root, 'src/**/*.ts')],
}));
execFileSync('npx', ['tsc', '-p', join(work, 'tsconfig.json')], { cwd: root, env: childEnv(), stdio: 'ignore' });

/** A built release of this checkout with the given version; its node_modules holds a file that must never reach a gateway. */
function release(version: string): string {
  const dir = join(work, `release-${version}`);
  cpSync(join(build, 'src'), join(dir, 'dist/src'), { recursive: true });
  if (existsSync(join(build, 'tools'))) cpSync(join(build, 'tools'), join(dir, 'dist/tools'), { recursive: true });
  for (const d of ['config', 'systemd']) cpSync(join(root, d), join(dir, d), { recursive: true });
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, version }, null, 2));
  cpSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
  mkdirSync(join(dir, 'node_modules'));
  writeFileSync(join(dir, 'node_modules/BUILT-ON-THE-BUILD-HOST'), 'x86 addons');
  return dir;
}
const releases = { a: release('0.1.0'), b: release('0.2.0'), c: release('0.3.0') };

function stage(t: { testdir(): string }) {
  const dir = t.testdir();
  const log = join(dir, 'calls.log');
  const manager = join(dir, 'fake-systemctl');
  writeFileSync(manager, `#!/bin/sh\necho "systemctl $*" >> ${log}\n`, { mode: 0o755 });
  const deps = join(dir, 'fake-npm-ci');
  writeFileSync(deps, `#!/bin/sh\necho "deps in $(pwd) lock=$(test -f package-lock.json && echo yes)" >> ${log}\nln -s ${join(root, 'node_modules')} node_modules\n`, { mode: 0o755 });
  const target = join(dir, 'root');
  const install = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync('bash', [script, '--root', target, '--service-manager', manager, ...args], { encoding: 'utf8', env: childEnv({ LOCKGW_INSTALL_DEPS: deps, ...env }) });
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  const opt = join(target, 'opt/lockgw');
  return { target, install, calls, opt, config: join(target, 'etc/lockgw/lockgw.yaml'), var: join(target, 'var/lib/lockgw'), log };
}

/** The staged gateway's data where the staged config says it is (the production config names /var/lib/lockgw). */
function pointDataAtStage(s: ReturnType<typeof stage>): void {
  writeFileSync(s.config, readFileSync(s.config, 'utf8').replace('dataDir: /var/lib/lockgw', `dataDir: ${s.var}`));
  openDatabase(join(s.var, 'lockgw.db')).close();
}

t.test('a fresh install: the release with its dependencies installed on the target, the config with the id, secrets, units, lockgw on the PATH', async (t) => {
  const s = stage(t);
  const r = s.install(['--gateway-id', 'gw-0042', '--from', releases.a]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /installed 0\.1\.0/);
  t.equal(readlinkSync(join(s.opt, 'current')), 'releases/0.1.0');
  t.notOk(existsSync(join(s.opt, 'previous')));
  const rel = join(s.opt, 'releases/0.1.0');
  t.ok(existsSync(join(rel, 'dist/src/main.js')));
  t.notOk(existsSync(join(rel, 'node_modules/BUILT-ON-THE-BUILD-HOST')), "the build host's node_modules are not copied");
  t.ok(lstatSync(join(rel, 'node_modules')).isSymbolicLink(), 'node_modules is what the dependency install made');
  t.match(s.calls()[0], /^deps in .*\/opt\/lockgw\/releases\/0\.1\.0\.partial lock=yes$/, 'the dependencies are installed in the new release, from its lock file');
  t.same(s.calls().slice(1), ['systemctl daemon-reload', 'systemctl enable --now lockgw.service', 'systemctl enable --now lockgw-nightly.timer']);

  t.match(readFileSync(s.config, 'utf8'), /^ {2}id: gw-0042$/m);
  t.match(readFileSync(join(s.var, 'device-secret'), 'utf8'), /^[0-9a-f]{64}\n$/);
  t.equal(statSync(join(s.var, 'device-secret')).mode & 0o777, 0o600);
  const passphrase = join(s.target, 'etc/lockgw/backup-passphrase');
  t.match(readFileSync(passphrase, 'utf8'), /^[0-9a-f]{48}\n$/);
  t.equal(statSync(passphrase).mode & 0o777, 0o640);
  t.equal(statSync(join(s.var, 'backups')).mode & 0o777, 0o700);

  const unit = readFileSync(join(s.target, 'etc/systemd/system/lockgw.service'), 'utf8');
  t.match(unit, /^ExecStart=.* \/opt\/lockgw\/current\/dist\/src\/main\.js$/m, 'the unit runs the current release');
  t.match(unit, /^WorkingDirectory=\/opt\/lockgw\/current$/m);
  t.ok(existsSync(join(s.target, 'etc/systemd/system/lockgw-nightly.timer')));
  t.notOk(existsSync(join(s.target, 'etc/systemd/system/lockgw.service.d/bluetooth.conf')), 'no Bluetooth capabilities without BLE');
  const wrapper = join(s.target, 'usr/local/bin/lockgw');
  t.equal(statSync(wrapper).mode & 0o111, 0o111, 'the wrapper is executable');
  t.match(readFileSync(wrapper, 'utf8'), /exec node \/opt\/lockgw\/current\/dist\/src\/cli\/lockgw\.js "\$@"/);
  const cli = join(s.opt, 'current/dist/src/cli/lockgw.js');
  t.match(readFileSync(cli, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'the CLI has its shebang');
  t.equal(execFileSync(cli, ['--version'], { encoding: 'utf8', env: childEnv() }).trim(), 'lockgw 0.1.0', 'it runs as a program, as the release it is');
  t.equal(execFileSync(process.execPath, [join(s.opt, 'current/dist/src/main.js'), '--version'], { encoding: 'utf8', env: childEnv() }).trim(), 'lockgw 0.1.0', 'the daemon runs through the current symlink, as the unit starts it');

  // the same release again: kept as it is, the config and the secret too
  writeFileSync(s.config, `${readFileSync(s.config, 'utf8')}# edited by the installer\n`);
  const secret = readFileSync(join(s.var, 'device-secret'), 'utf8');
  const again = s.install(['--gateway-id', 'gw-0042', '--from', releases.a]);
  t.equal(again.status, 0, again.stderr);
  t.match(again.stdout, /release 0\.1\.0 is already current; not reinstalled/);
  t.match(readFileSync(s.config, 'utf8'), /# edited by the installer/);
  t.equal(readFileSync(join(s.var, 'device-secret'), 'utf8'), secret);
});

t.test('an upgrade backs up first, installs beside the old release, restarts, and rolls back', async (t) => {
  const s = stage(t);
  t.equal(s.install(['--gateway-id', 'gw-0042', '--from', releases.a]).status, 0);
  pointDataAtStage(s);
  const before = s.calls().length;
  const up = s.install(['--gateway-id', 'gw-0042', '--from', releases.b]);
  t.equal(up.status, 0, up.stderr);
  t.match(up.stdout, /backed up to .*\/var\/lib\/lockgw\/backups\/pre-upgrade-0\.1\.0-to-0\.2\.0-\d{8}T\d{6}Z\.backup/);
  t.match(up.stdout, /upgraded 0\.1\.0 → 0\.2\.0; the previous release stays for: .* --rollback/);
  const backups = readdirSync(join(s.var, 'backups'));
  t.equal(backups.length, 1);
  t.equal(readFileSync(join(s.var, 'backups', backups[0]!)).subarray(0, 16).toString(), 'lockgw-backup/1\n', 'a lockgw backup');
  t.equal(readlinkSync(join(s.opt, 'current')), 'releases/0.2.0');
  t.equal(readlinkSync(join(s.opt, 'previous')), 'releases/0.1.0');
  t.same(s.calls().slice(before).filter((c) => c.startsWith('systemctl')), ['systemctl daemon-reload', 'systemctl restart lockgw.service', 'systemctl enable --now lockgw-nightly.timer']);

  // the backup opens with the installed passphrase, as an installer would check it
  const cli = join(s.opt, 'current/dist/src/cli/lockgw.js');
  const restore = spawnSync(process.execPath, [cli, 'restore', join(s.var, 'backups', backups[0]!), '--passphrase-file', join(s.target, 'etc/lockgw/backup-passphrase'), '--config', s.config], { encoding: 'utf8', env: childEnv() });
  t.equal(restore.status, 0, restore.stderr);
  t.match(restore.stdout, /restored the backup of gw-0042 .* by lockgw 0\.2\.0/);

  const back = s.install(['--rollback']);
  t.equal(back.status, 0, back.stderr);
  t.match(back.stdout, /current release: 0\.1\.0 \(was 0\.2\.0\)/);
  t.match(back.stdout, /restore the backup taken before the upgrade: .*pre-upgrade-0\.1\.0-to-0\.2\.0-/);
  t.equal(readlinkSync(join(s.opt, 'current')), 'releases/0.1.0');
  t.equal(readlinkSync(join(s.opt, 'previous')), 'releases/0.2.0');
  t.equal(s.calls().at(-1), 'systemctl restart lockgw.service');

  // upgrading on: the release two back is removed, the current and the previous stay
  t.equal(s.install(['--gateway-id', 'gw-0042', '--from', releases.b]).status, 0);
  t.equal(s.install(['--gateway-id', 'gw-0042', '--from', releases.c]).status, 0);
  t.same(readdirSync(join(s.opt, 'releases')).sort(), ['0.2.0', '0.3.0']);
});

t.test('an install from before releases/ (dist/ straight in /opt/lockgw) is upgraded: backed up, restarted, its files left alone', async (t) => {
  const s = stage(t);
  mkdirSync(join(s.opt, 'dist/src'), { recursive: true });
  writeFileSync(join(s.opt, 'dist/src/main.js'), '// the old install\n');
  writeFileSync(join(s.opt, 'package.json'), JSON.stringify({ name: 'lockgw', version: '0.0.9' }));
  mkdirSync(join(s.target, 'etc/lockgw'), { recursive: true });
  writeFileSync(s.config, `gateway:\n  id: gw-0042\n  dataDir: ${s.var}\nsecrets:\n  createIfMissing: false\ndemo:\n  seed: false\n`, { mode: 0o640 });
  mkdirSync(s.var, { recursive: true });
  writeFileSync(join(s.var, 'device-secret'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
  openDatabase(join(s.var, 'lockgw.db')).close();
  const r = s.install(['--gateway-id', 'gw-0042', '--from', releases.a]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /backed up to .*pre-upgrade-legacy-0\.0\.9-to-0\.1\.0-\d{8}T\d{6}Z\.backup/);
  t.match(r.stdout, /upgraded the install in .*\/opt\/lockgw \(legacy-0\.0\.9\) → 0\.1\.0 .* were left in place/);
  t.ok(s.calls().includes('systemctl restart lockgw.service'), 'restarted, not only enabled');
  t.equal(readFileSync(join(s.opt, 'dist/src/main.js'), 'utf8'), '// the old install\n', 'the old files are left alone');
  t.equal(readlinkSync(join(s.opt, 'current')), 'releases/0.1.0');
});

t.test('the Bluetooth drop-in is installed only while the config has a ble: section', async (t) => {
  const s = stage(t);
  t.equal(s.install(['--gateway-id', 'gw-0042', '--from', releases.a]).status, 0);
  const dropIn = join(s.target, 'etc/systemd/system/lockgw.service.d/bluetooth.conf');
  t.notOk(existsSync(dropIn));
  writeFileSync(s.config, `${readFileSync(s.config, 'utf8')}ble:\n  locks:\n    adapter: {hci: 0}\n`);
  const withBle = s.install(['--gateway-id', 'gw-0042', '--from', releases.a]);
  t.equal(withBle.status, 0, withBle.stderr);
  t.match(withBle.stdout, /installed the Bluetooth drop-in/);
  t.match(readFileSync(dropIn, 'utf8'), /CAP_NET_RAW/);
  writeFileSync(s.config, readFileSync(s.config, 'utf8').replace(/^ble:[^]*$/m, ''));
  const without = s.install(['--gateway-id', 'gw-0042', '--from', releases.a]);
  t.equal(without.status, 0, without.stderr);
  t.notOk(existsSync(dropIn), 'removed again');
});

t.test('a re-run with another gateway id is refused and changes nothing, unless --change-id', async (t) => {
  const s = stage(t);
  t.equal(s.install(['--gateway-id', 'gw-0042', '--from', releases.a]).status, 0);
  const config = readFileSync(s.config, 'utf8');
  const r = s.install(['--gateway-id', 'gw-0099', '--from', releases.b]);
  t.equal(r.status, 2);
  t.match(r.stderr, /lockgw\.yaml says this gateway is gw-0042, not gw-0099: nothing was changed\. Re-run with --gateway-id gw-0042, or add --change-id/);
  t.equal(readFileSync(s.config, 'utf8'), config);
  t.equal(readlinkSync(join(s.opt, 'current')), 'releases/0.1.0', 'not upgraded either');

  const changed = s.install(['--gateway-id', 'gw-0099', '--change-id', '--from', releases.a]);
  t.equal(changed.status, 0, changed.stderr);
  t.match(changed.stdout, /gateway id: gw-0099 \(was gw-0042\)/);
  t.equal(readFileSync(s.config, 'utf8'), config.replace('id: gw-0042', 'id: gw-0099'), 'only the id changed');
  t.equal(statSync(s.config).mode & 0o777, 0o640);
});

t.test('a failed dependency install leaves the running release as it was', async (t) => {
  const s = stage(t);
  t.equal(s.install(['--gateway-id', 'gw-0042', '--from', releases.a]).status, 0);
  const r = s.install(['--gateway-id', 'gw-0042', '--from', releases.b], { LOCKGW_INSTALL_DEPS: 'false' });
  t.equal(r.status, 1);
  t.match(r.stderr, /installing the dependencies failed; nothing else was changed \(the current release is 0\.1\.0\)/);
  t.same(readdirSync(join(s.opt, 'releases')), ['0.1.0']);
  t.equal(readlinkSync(join(s.opt, 'current')), 'releases/0.1.0');
});

t.test('the installer refuses a missing, malformed or placeholder gateway id, and a rollback with nothing to go back to', async (t) => {
  const s = stage(t);
  let r = s.install([]);
  t.equal(r.status, 2);
  t.match(r.stderr, /--gateway-id is required/);
  r = s.install(['--gateway-id', 'bad id']);
  t.equal(r.status, 2);
  t.match(r.stderr, /may contain only/);
  r = s.install(['--gateway-id', 'gw-CHANGE-ME']);
  t.equal(r.status, 2);
  t.match(r.stderr, /is the placeholder/);
  r = s.install(['--help']);
  t.equal(r.status, 0);
  t.match(r.stdout, /^Installs or upgrades lockgw[\s\S]*--change-id[\s\S]*LOCKGW_INSTALL_DEPS/);
  r = s.install(['--rollback']);
  t.equal(r.status, 1);
  t.match(r.stderr, /there is no previous release to roll back to/);
  t.notOk(existsSync(s.target), 'nothing was created');
});

t.test('the nightly units pass systemd-analyze verify', { skip: spawnSync('systemd-analyze', ['--version']).status === 0 ? false : 'no systemd-analyze here' }, async (t) => {
  const r = spawnSync('systemd-analyze', ['verify', join(root, 'systemd/lockgw-nightly.service'), join(root, 'systemd/lockgw-nightly.timer')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /lockgw-nightly/, r.stderr);
});
