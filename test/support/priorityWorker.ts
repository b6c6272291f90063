/** A worker thread that lowers its own priority and reports what /proc says about itself. */
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { lowerThreadPriority } from '../../src/engine/worker/threadPriority.js';

const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
const first = lowerThreadPriority(10);
const again = lowerThreadPriority(5); // never raises it back
parentPort!.postMessage({ first, again, procNice: niceOf(readFileSync('/proc/thread-self/stat', 'utf8')) });
