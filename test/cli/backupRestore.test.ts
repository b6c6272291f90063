/** `lockgw backup` and `lockgw restore` as an installer runs them, against a real daemon and its files. */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/lockgw.js';
import { openDatabase } from '../../src/store/database.js';
import { childEnv } from '../support/childEnv.js';
import { ptyPair, socatAvailable } from '../support/ptyPair.js';
import { spawnDaemon } from '../support/daemonProcess.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
// a daemon started four times and a dozen verbs: minutes on a loaded machine
t.setTimeout(600_000);

/** One lockgw command line, in this process (the daemon is a child process; the prompt test spawns its own). */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, (l) => out.push(l), (l) => err.push(l));
  return { code, out: out.join('\n'), err: err.join('\n') };
}



function site(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'lockgw-br-'));
  const config = join(dir, 'lockgw.yaml');
  writeFileSync(config, `gateway:\n  id: gw-0042\n  dataDir: ${JSON.stringify(dir)}\nlog:\n  pretty: never\n`);
  const pass = join(dir, 'passphrase');
  writeFileSync(pass, 'a passphrase for the tests\n', { mode: 0o600 });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, config, pass };
}

async function startDaemon(t: { teardown(fn: () => unknown): void }, config: string) {
  const d = spawnDaemon(['--config', config]);
  const exited = new Promise<void>((resolve) => d.child.once('exit', () => resolve()));
  const stop = async () => {
    d.child.kill('SIGTERM');
    await exited;
  };
  t.teardown(stop);
  await d.readyLine;
  return { stop };
}

t.test('back up a running gateway, restore refused while it runs, restored once stopped, and it starts on the restored files', async (t) => {
  const s = site(t);
  const daemon = await startDaemon(t, s.config);
  t.match(await run(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567', '--config', s.config]), { code: 0, out: /GRANTED/ });
  const file = join(s.dir, 'site.backup');
  const made = await run(['backup', file, '--passphrase-file', s.pass, '--config', s.config]);
  t.match(made, { code: 0, out: /backed up database, device-secret to .*site\.backup \(\d+ bytes, database schema \d+, quick_check ok\)/ });

  // after the backup: the restore takes the gateway back to before this one
  t.match(await run(['sim', 'present', '--door', 'lobby', '--card', '26:12:34567', '--config', s.config]), { code: 0, out: /GRANTED/ });
  const refused = await run(['restore', file, '--passphrase-file', s.pass, '--config', s.config]);
  t.match(refused, { code: 1, err: /not restoring: a lockgw daemon answers on .*lockgw\.sock; nothing was changed\nhint: stop it first/ });

  await daemon.stop();
  const journalBefore = await run(['journal', '--json', '--config', s.config]);
  t.equal(journalBefore.out.trim().split('\n').filter((l) => l.includes('"grant":true')).length, 2, 'two grants before the restore');
  const restored = await run(['restore', file, '--passphrase-file', s.pass, '--config', s.config]);
  t.match(restored, { code: 0, out: /restored the backup of gw-0042 made .* by lockgw .*\n {2}in place: .*lockgw\.db\n {2}in place: .*device-secret\n {2}kept aside: .*lockgw\.db\.before-restore-/ });
  t.ok(readdirSync(s.dir).some((f) => /^device-secret\.before-restore-\d{8}T\d{6}Z$/.test(f)));
  const journalAfter = (await run(['journal', '--json', '--config', s.config])).out.trim().split('\n').filter((l) => l.includes('"grant":true'));
  t.equal(journalAfter.length, 1, 'the restored journal holds the grant made before the backup, not the one after');
  t.match(journalAfter[0], /"seq":1,/);
  await startDaemon(t, s.config);
  t.match(await run(['status', '--config', s.config]), { code: 0, out: /lobby/ });
});

t.test('the passphrase comes from a private file or a terminal, never an argument', async (t) => {
  const s = site(t);
  const daemon = await startDaemon(t, s.config);
  const file = join(s.dir, 'x.backup');
  t.match(await run(['backup', file, '--config', s.config]), { code: 2, err: /no passphrase: give --passphrase-file F, or run on a terminal to type it\nhint: a passphrase is never taken as an argument/ });
  t.match(await run(['backup', file, '--passphrase', 'secret', '--config', s.config]), { code: 2, err: /unknown option '--passphrase'/ });
  const open = join(s.dir, 'open-passphrase');
  writeFileSync(open, 'a passphrase for the tests\n', { mode: 0o644 });
  t.match(await run(['backup', file, '--passphrase-file', open, '--config', s.config]), { code: 2, err: /is readable by anyone \(mode 644\)/ });
  t.notOk(existsSync(file), 'no backup was written');
  await daemon.stop();
});

t.test('the nightly form writes a timed file and keeps the newest N', async (t) => {
  const s = site(t);
  const daemon = await startDaemon(t, s.config);
  const into = join(s.dir, 'backups');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(into);
  writeFileSync(join(into, 'lockgw-gw-0042-20200101T000000Z.backup'), 'lockgw-backup/1\n{}');
  writeFileSync(join(into, 'lockgw-gw-0042-20200102T000000Z.backup'), 'lockgw-backup/1\n{}');
  const r = await run(['backup', '--into', into, '--keep', '2', '--passphrase-file', s.pass, '--config', s.config]);
  t.match(r, { code: 0, out: /backed up .*lockgw-gw-0042-\d{8}T\d{6}Z\.backup.*\nremoved the older backup .*20200101T000000Z\.backup$/m });
  t.equal(readdirSync(into).length, 2);
  t.ok(existsSync(join(into, 'lockgw-gw-0042-20200102T000000Z.backup')));
  t.match(await run(['backup', '--into', into, '--keep', '0', '--passphrase-file', s.pass, '--config', s.config]), { code: 2, err: /option '--keep <n>' argument '0' is invalid\. a whole number ≥ 1, not "0"/ });
  t.match(await run(['backup', '--passphrase-file', s.pass, '--config', s.config]), { code: 2, err: /backup needs a FILE, or --into DIR/ });
  await daemon.stop();
});

t.test('on a terminal the passphrase is typed, twice for a backup, without echo', { skip: socatAvailable() ? false : 'needs socat' }, async (t) => {
  const s = site(t);
  openDatabase(join(s.dir, 'lockgw.db')).close();
  writeFileSync(join(s.dir, 'device-secret'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
  const pty = await ptyPair(t);
  const keyboard = openSync(pty.b, 'r+');
  t.teardown(() => closeSync(keyboard));
  /** runs lockgw with the terminal as stdin, typing each answer when its prompt appears on stderr */
  const typed = async (args: string[], answers: Array<[RegExp, string]>) => {
    const terminal = openSync(pty.a, 'r+');
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/cli/lockgw.ts'), ...args], { cwd: root, env: childEnv(), stdio: [terminal, 'pipe', 'pipe'] });
    closeSync(terminal);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += String(d)));
    child.stderr!.on('data', (d) => {
      err += String(d);
      const next = answers[0];
      if (next && next[0].test(err)) {
        answers.shift();
        writeSync(keyboard, next[1]);
      }
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, out, err };
  };
  const file = join(s.dir, 'typed.backup');
  const made = await typed(['backup', file, '--config', s.config], [[/backup passphrase: $/, 'typed at the prompt\r'], [/again: $/, 'typed at the prompt\r']]);
  t.match(made, { code: 0, out: /backed up database, device-secret to/ });
  t.notMatch(made.err + made.out, /typed at the prompt/, 'the passphrase is not printed');
  const differ = await typed(['backup', join(s.dir, 'other.backup'), '--config', s.config], [[/backup passphrase: $/, 'typed at the prompt\r'], [/again: $/, 'a typo at the prompt\r']]);
  t.match(differ, { code: 2, err: /the two passphrases differ/ });
  const wrong = await typed(['restore', file, '--config', s.config], [[/backup passphrase: $/, 'not the passphrase\r']]);
  t.match(wrong, { code: 2, err: /the passphrase does not open .*typed\.backup/ });
  const right = await typed(['restore', file, '--config', s.config], [[/backup passphrase: $/, 'typed at the prompt\r']]);
  t.match(right, { code: 0, out: /restored the backup of gw-0042/ });
});
