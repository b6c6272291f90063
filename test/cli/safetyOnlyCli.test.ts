import t from 'tap';
import { closeSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { runCli } from '../../src/cli/lockgw.js';
import { ControlServer } from '../../src/control/controlServer.js';
import { SystemClock } from '../../src/kernel/clock.js';
import { siteAfterFirstStart } from '../support/brokenSite.js';

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await runCli(args, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
}

/** An offline `status`: the lines it printed, its exit code and the error line it ended with. */
async function offlineStatus(configFile: string): Promise<{ out: string; code: number; error: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await runCli(['status', '--config', configFile], (l) => lines.push(l), (l) => errors.push(l));
  return { out: lines.join('\n'), code, error: errors.join('\n') };
}

function garbageHeader(file: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.alloc(100, 'garbage'), 0, 100, 0);
  closeSync(fd);
}

const STACK = /^\s+at /m;

t.test('doctor on a corrupt database: the cause and the recovery, no stack trace, nothing moved', async (t) => {
  const site = await siteAfterFirstStart(t);
  garbageHeader(site.dbPath);
  const r = await cli(['doctor', '--config', site.configFile]);
  t.equal(r.code, 2);
  t.match(r.out, /database +PROBLEM: .*lockgw\.db is corrupt: file is not a database/);
  t.match(r.out, /recovery +.*copy a backup of the database to .*lockgw\.db/);
  t.notMatch(r.out, STACK);
  t.same(readdirSync(site.dataDir).filter((f) => f.includes('.corrupt-')), [], 'doctor sets nothing aside');
  const errors: string[] = [];
  t.equal(await runCli(['list', 'people', '--config', site.configFile], () => undefined, (l) => errors.push(l)), 1, 'the other commands fail (exit 1)');
  t.match(errors.join('\n'), /^lockgw: .*lockgw\.db is corrupt/, 'with the cause on one line');
  t.notMatch(errors.join('\n'), STACK, 'without a stack');
});

t.test('doctor on a deleted database says it was lost, and how to start afresh on purpose', async (t) => {
  const site = await siteAfterFirstStart(t);
  rmSync(site.dbPath);
  const r = await cli(['doctor', '--config', site.configFile]);
  t.equal(r.code, 2);
  t.match(r.out, /is missing: the database file is gone/);
  t.match(r.out, /remove .*lockgw\.db\.created/);
});

t.test('status against a daemon in safety-only mode, and offline', async (t) => {
  const site = await siteAfterFirstStart(t);
  garbageHeader(site.dbPath);
  const g = site.gateway();
  await g.start();
  const server = new ControlServer({ path: join(site.dataDir, 'lockgw.sock'), dbPath: site.dbPath, target: g.controlTarget(), clock: new SystemClock(), logger: pino({ level: 'silent' }) });
  await server.start();
  t.teardown(() => server.stop());
  const r = await cli(['status', '--config', site.configFile]);
  t.equal(r.code, 2, 'not a clean bill of health');
  t.match(r.out, /^lobby +normal +locked/m, 'the doors');
  t.match(r.out, /daemon +SAFETY-ONLY MODE since 2026-12-07T12:00:00.000Z: the database .*lockgw\.db is corrupt/);
  t.match(r.out, /every credential is denied \(rules_unavailable\)/);
  t.match(r.out, /kept as: +.*lockgw\.db\.corrupt-20261207T120000Z/);
  t.match(r.out, /recovery: +The corrupt file was set aside/);
  t.notMatch(r.out, STACK);
  const doc = await cli(['doctor', '--config', site.configFile]);
  t.equal(doc.code, 2);
  t.match(doc.out, /was made in place of a corrupt one and has no rules yet/);
  await server.stop();
  await g.stop();
  const offline = await offlineStatus(site.configFile);
  t.equal(offline.code, 1, 'no daemon: an error');
  t.match(offline.error, /no lockgw daemon is listening/);
  t.match(offline.out, /database +.*lockgw\.db was made in place of a corrupt one/);
  t.match(offline.out, /daemon +SAFETY-ONLY MODE since/, 'and what the daemon last said');
  t.notMatch(offline.out, STACK);
});

t.test('status and doctor of a healthy gateway say nothing about the database', async (t) => {
  const site = await siteAfterFirstStart(t);
  const offline = await offlineStatus(site.configFile);
  t.equal(offline.code, 1);
  t.match(offline.error, /no lockgw daemon is listening/);
  t.equal(offline.out, '', 'nothing to say about the database');
  const doc = await cli(['doctor', '--config', site.configFile]);
  t.equal(doc.code, 0);
  t.match(doc.out, /^database +ok/);
});
