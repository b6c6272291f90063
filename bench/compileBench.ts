/**
 * `compile`: the full index build from the SQLite file (store.snapshot(compileIndex)), in a child
 * process so RSS is the gateway's (index + SQLite + runtime), not the bench's generated data.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CompileWorkerResult } from './compileWorker.js';
import { emit, note } from './report.js';
import { median } from './stats.js';

const WORKER = fileURLToPath(new URL('./compileWorker.ts', import.meta.url));

function runWorker(dbPath: string, builds: number): Promise<CompileWorkerResult> {
  return new Promise((resolve, reject) => {
    // the parent's node flags (--expose-gc, the tsx loader) carry over to the child
    const child = spawn(process.execPath, [...process.execArgv, WORKER, dbPath, String(builds)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || line === '') reject(new Error(`compile worker exited with ${code}: ${out.slice(0, 500)}`));
      else resolve(JSON.parse(line) as CompileWorkerResult);
    });
  });
}

export async function runCompileBench(dbPath: string, scale: number): Promise<void> {
  const builds = scale >= 0.5 ? 3 : 1;
  note(`compile: ${builds} build(s) in a child process${scale >= 0.5 ? ', median reported' : ''}`);
  const r = await runWorker(dbPath, builds);
  const c = r.counts;
  note(`compile: ${c.credentials.toLocaleString('en-US')} credentials, ${c.people.toLocaleString('en-US')} people, ${c.holdings.toLocaleString('en-US')} holdings, ${c.keys} keys, ${c.doors} doors, ${c.masks.toLocaleString('en-US')} distinct schedule masks`);
  note(`compile: builds ${r.seconds.map((s) => s.toFixed(2)).join(', ')} s; RSS ${r.rssBeforeMb.toFixed(0)} MB before, ${r.rssMb.toFixed(0)} MB after the first build${r.gc ? ' (after gc)' : ' (no --expose-gc: RSS includes garbage)'}, ${r.rssAfterAllMb.toFixed(0)} MB after all builds; JS heap used ${r.heapMb.toFixed(0)} MB, typed arrays ${r.arrayBuffersMb.toFixed(0)} MB`);
  const bench = 'compile';
  emit({ bench, metric: 'compile_s', value: median(r.seconds), unit: 's', target: 5, better: 'lower' });
  emit({ bench, metric: 'rss_mb', value: r.rssMb, unit: 'MB', target: 350, better: 'lower' });
  emit({ bench, metric: 'heap_mb', value: r.heapMb, unit: 'MB', target: null, better: 'lower' });
  emit({ bench, metric: 'array_buffers_mb', value: r.arrayBuffersMb, unit: 'MB', target: null, better: 'lower' });
  emit({ bench, metric: 'rss_growth_mb', value: r.rssMb - r.rssBeforeMb, unit: 'MB', target: null, better: 'lower' });
}
