/**
 * The V8 flags the daemon runs with (package.json `start`, systemd/lockgw.service; the sync
 * benchmark starts its gateway with them too). They can only be given on node's command line:
 * NODE_OPTIONS refuses them.
 *
 * `--initial-old-space-size=64`: the doors' isolate lives on about 25 MB of heap. V8 sets its
 * old-generation limit to about twice that, and starts a full (mark-compact) collection as soon
 * as the room left under that limit is no more than the young generation's size: with a 25 MB
 * heap that is at once, so during a snapshot the doors' thread ran 35–42 full collections, one
 * every 100–170 ms, each a pause of up to 17 ms plus marking steps. Starting the limit at 64 MB
 * leaves room: 4–6 full collections per million-credential snapshot
 * (`npm run bench -- --only sync_snapshot` with LOCKGW_BENCH_NODE_FLAGS='--trace-gc'). It costs
 * at most about 40 MB more heap before a collection; the memory reducer still shrinks an idle heap.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The daemon flags missing from `execArgv` (process.execArgv), for a warning at startup. */
export function missingDaemonFlags(execArgv: readonly string[]): string[] {
  return DAEMON_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
