/**
 * Lowers the priority of the calling thread only (Linux: setpriority on the thread id). The rules
 * worker compiles for seconds on a machine with few cores, next to Mosquitto and the cloud link;
 * the event loop the doors decide on must win the CPU whenever both want it.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** niceness of background threads (the rules worker, its compile thread): a CPU share about a tenth of the main thread's when both are busy */
export const BACKGROUND_NICENESS = 10;

/** The thread's niceness afterwards, or why it could not be changed (not Linux, no /proc). */
export function lowerThreadPriority(niceness: number): { niceness: number } | { error: string } {
  try {
    // /proc/thread-self -> "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return { error: 'no thread id in /proc/thread-self' };
    setPriority(tid, Math.max(getPriority(tid), niceness));
    return { niceness: getPriority(tid) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
