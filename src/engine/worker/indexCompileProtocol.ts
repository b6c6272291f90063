/** What the rules worker and its compile thread (indexCompileWorker.ts) exchange. */
import type { MessagePort } from 'node:worker_threads';
import type { PackedIndex } from '../../access/indexTransfer.js';

export interface IndexCompileData {
  /** the database file to compile */
  path: string;
  port: MessagePort;
  /** an Int32Array's buffer: [0] is 0, then COMPILE_STARTED, then COMPILE_POSTED */
  flag: SharedArrayBuffer;
}

/** the thread has loaded its module */
export const COMPILE_STARTED = 1;
/** its reply is on the port */
export const COMPILE_POSTED = 2;

export type IndexCompileReply = { ok: true; packed: PackedIndex } | { ok: false; message: string };
