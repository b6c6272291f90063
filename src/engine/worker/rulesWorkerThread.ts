/**
 * The rules worker thread's entry: serves the gateway's requests (rulesWorkerService.ts) on the
 * parent port, with the database and secret the gateway handed over (rulesWorker.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { RulesWorkerData } from './rulesWorkerProtocol.js';
import { serveRulesWorker } from './rulesWorkerService.js';

serveRulesWorker(parentPort!, workerData as RulesWorkerData);
