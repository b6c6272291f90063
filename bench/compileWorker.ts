/**
 * Child process of the `compile` bench: opens the SQLite file as the gateway does, builds the
 * index `builds` times, and prints one JSON result line on stdout for the parent. The first
 * build's memory is measured after a full GC with that index alive (the gateway after boot);
 * later builds only add timings. Run in its own process so the bench's own data does not count.
 *
 *   node --expose-gc --import tsx bench/compileWorker.ts <sqlite file> <builds>
 */
import { compileIndex } from '../src/access/compileIndex.js';
import type { AccessIndex } from '../src/access/accessIndex.js';
import { createPinHasher } from '../src/access/pinDigest.js';
import { AccessStore } from '../src/store/accessStore.js';
import { openDatabase } from '../src/store/database.js';

export interface CompileWorkerResult {
  seconds: number[];
  rssMb: number;
  heapMb: number;
  /** typed arrays (masks, columns) live outside the JS heap */
  arrayBuffersMb: number;
  rssBeforeMb: number;
  rssAfterAllMb: number;
  gc: boolean;
  counts: AccessIndex['counts'];
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => bytes / 1_048_576;

function main(): void {
  const [path, buildsArg] = process.argv.slice(2);
  if (!path) throw new Error('usage: compileWorker.ts <sqlite file> <builds>');
  const builds = Math.max(1, Number(buildsArg ?? 1));
  const db = openDatabase(path);
  // the store never hashes a PIN here (no batches); the secret only satisfies the constructor
  const store = new AccessStore(db, createPinHasher(new Uint8Array(32)));
  gc?.();
  const rssBeforeMb = mb(process.memoryUsage().rss);
  const seconds: number[] = [];
  let index: AccessIndex | null = null;
  let rssMb = 0;
  let heapMb = 0;
  let arrayBuffersMb = 0;
  for (let b = 0; b < builds; b++) {
    index = null;
    gc?.();
    const t0 = process.hrtime.bigint();
    index = store.snapshot(compileIndex);
    seconds.push(Number(process.hrtime.bigint() - t0) / 1e9);
    process.stderr.write(`  compile: build ${b + 1}/${builds} ${seconds[b]!.toFixed(2)} s\n`);
    if (b === 0) {
      gc?.();
      const m = process.memoryUsage();
      rssMb = mb(m.rss);
      heapMb = mb(m.heapUsed);
      arrayBuffersMb = mb(m.arrayBuffers);
    }
  }
  gc?.();
  const result: CompileWorkerResult = {
    seconds, rssMb, heapMb, arrayBuffersMb, rssBeforeMb, rssAfterAllMb: mb(process.memoryUsage().rss), gc: gc !== undefined, counts: index!.counts,
  };
  db.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
