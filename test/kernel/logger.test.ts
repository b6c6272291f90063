import t from 'tap';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/kernel/logger.js';
import { isJournalStream, journalPriority } from '../../src/kernel/journalStream.js';
import { levelName, textLine, timeFormat } from '../../src/kernel/logText.js';

function sink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(...String(chunk).split('\n').filter(Boolean)); done(); } });
  return { stream, lines };
}

const AT = Date.parse('2026-12-07T15:20:54.123Z');

t.test('a text line reads time, level name, module, message, then the fields as key=value', async (t) => {
  const line = textLine({ level: 30, time: AT, pid: 7, module: 'doors', msg: 'decision', door: 'lobby', grant: true, reason: 'granted', ms: 12, person: null }, timeFormat('UTC'));
  t.equal(line, '2026-12-07 15:20:54.123 INFO  doors: decision door=lobby grant=true reason=granted ms=12 person=null');
  t.equal(textLine({ level: 30, time: AT, msg: 'x' }, timeFormat('Europe/Berlin')), '2026-12-07 16:20:54.123 INFO  x', 'times in the zone asked for');
});

t.test('values that are not one plain word are quoted or JSON; newlines never break the line', async (t) => {
  const line = textLine({ level: 40, time: AT, msg: 'two\nlines', file: '/var/lib/lockgw/lockgw.db', why: 'has spaces', list: ['a', 'b'], obj: { n: 1 } }, timeFormat('UTC'));
  t.equal(line, '2026-12-07 15:20:54.123 WARN  two\\nlines file=/var/lib/lockgw/lockgw.db why="has spaces" list=["a","b"] obj={"n":1}');
  t.notMatch(line, /\n/);
});

t.test('an error reads as its type and message, its code, and its stack on the same line', async (t) => {
  const err = { type: 'GatewayError', message: 'door x\nis gone', code: 'NOT_FOUND', stack: 'GatewayError: door x\n    at a (/x.ts:1:2)\n    at b (/y.ts:3:4)' };
  const line = textLine({ level: 50, time: AT, module: 'main', msg: 'stop failed', err }, timeFormat('UTC'));
  t.equal(line, '2026-12-07 15:20:54.123 ERROR main: stop failed err="GatewayError: door x\\nis gone" err.code=NOT_FOUND err.stack="at a (/x.ts:1:2) < at b (/y.ts:3:4)"');
});

t.test('level names and journal priorities follow the pino levels', async (t) => {
  t.same([10, 20, 30, 40, 50, 60].map(levelName), ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL']);
  t.equal(levelName(35), 'INFO', 'a custom level between two takes the lower name');
  t.same([10, 20, 30, 40, 50, 60].map(journalPriority), [7, 7, 6, 4, 3, 2]);
});

t.test('the text logger writes readable lines with credentials redacted', async (t) => {
  const { stream, lines } = sink();
  const logger = createLogger('debug', 'text', { destination: stream, timeZone: 'UTC' }).child({ module: 'hal:wiegand' });
  logger.info({ card: '26:12:34567', pin: '4711', presentation: { value: '123456', pinDigest: 'abc' }, password: 'hunter2', door: 'lobby' }, 'presented');
  t.equal(lines.length, 1);
  t.match(lines[0], /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO  hal:wiegand: presented card="\[redacted\]" pin="\[redacted\]" presentation=\{"value":"\[redacted\]","pinDigest":"\[redacted\]"\} password="\[redacted\]" door=lobby$/);
  for (const secret of ['34567', '4711', '123456', 'hunter2']) t.notMatch(lines[0], secret);
  t.notMatch(lines[0], /"level"|pid=/, 'no numeric level, no pid');
});

t.test('the JSON logger keeps pino lines (and their redaction)', async (t) => {
  const { stream, lines } = sink();
  createLogger('info', 'json', { destination: stream }).child({ module: 'm' }).warn({ secret: 's3cr3t', n: 2 }, 'hello');
  const record = JSON.parse(lines[0]!) as Record<string, unknown>;
  t.match(record, { level: 40, module: 'm', msg: 'hello', secret: '[redacted]', n: 2 });
});

t.test('on the journal (JOURNAL_STREAM names the output) every line starts with its priority, in both formats', async (t) => {
  const dir = t.testdir();
  for (const format of ['text', 'json'] as const) {
    const file = join(dir, `${format}.log`);
    const fd = openSync(file, 'w');
    const st = fstatSync(fd, { bigint: true });
    const env = { JOURNAL_STREAM: `${st.dev}:${st.ino}` };
    t.ok(isJournalStream(fd, env));
    const logger = createLogger('trace', format, { fd, env, timeZone: 'UTC' });
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    logger.debug('d');
    logger.flush();
    closeSync(fd);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    t.same(lines.map((l) => l.slice(0, 3)), ['<6>', '<4>', '<3>', '<2>', '<7>'], format);
    if (format === 'text') t.match(lines[1], /^<4>\d{4}-.* WARN  w$/);
    else t.match(JSON.parse(lines[1]!.slice(3)), { level: 40, msg: 'w' });
  }
});

t.test('another file, no JOURNAL_STREAM, or a malformed one is not the journal: no prefixes', async (t) => {
  const dir = t.testdir();
  const fd = openSync(join(dir, 'a.log'), 'w');
  const other = openSync(join(dir, 'b.log'), 'w');
  const st = fstatSync(other, { bigint: true });
  t.notOk(isJournalStream(fd, { JOURNAL_STREAM: `${st.dev}:${st.ino}` }));
  t.notOk(isJournalStream(fd, {}));
  t.notOk(isJournalStream(fd, { JOURNAL_STREAM: 'nonsense' }));
  const logger = createLogger('info', 'text', { fd, env: { JOURNAL_STREAM: `${st.dev}:${st.ino}` } });
  logger.info('plain');
  logger.flush();
  closeSync(fd);
  closeSync(other);
  t.match(readFileSync(join(dir, 'a.log'), 'utf8'), /^\d{4}-.* INFO  plain\n$/);
});
