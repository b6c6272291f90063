import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
const noProc = existsSync('/proc/thread-self') ? false : 'needs Linux /proc/thread-self';

t.test('a worker lowers its own thread, and only its own', { skip: noProc }, async (t) => {
  const before = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
  const worker = new Worker(new URL('../../support/priorityWorker.ts', import.meta.url));
  const report = await new Promise<{ first: unknown; again: unknown; procNice: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  t.same(report.first, { niceness: Math.max(10, before) });
  t.same(report.again, { niceness: Math.max(10, before) }, 'a smaller niceness does not raise it back');
  t.equal(report.procNice, Math.max(10, before), 'the kernel agrees');
  t.equal(niceOf(readFileSync('/proc/thread-self/stat', 'utf8')), before, 'the main thread keeps its priority');
});
