/**
 * The V8 flags the daemon runs with (package.json `start`, systemd/lockgw.service; the sync
 * benchmark starts its gateway with them too). They can only be given on node's command line:
 * NODE_OPTIONS refuses them.
 *
 * `--initial-old-space-size=64`: the doors' isolate lives on a small heap, and V8 sets its
 * old-generation limit from what is live. During a large snapshot that limit left no headroom:
 * V8 kept starting full (mark-compact) collections from its scheduling task with the heap not
 * growing, each a pause plus marking steps on the thread the doors decide on. A higher starting
 * limit leaves room: a few per snapshot, none of them while the chunks arrive, and V8's memory
 * reducer still shrinks the heap once the doors' loop is quiet again. It costs some more heap
 * before a collection. The figures, and how to measure them (`npm run bench -- --only sync_snapshot` with
 * LOCKGW_BENCH_NODE_FLAGS='--trace-gc'): bench/README.md, "Measurements behind design choices".
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The daemon flags missing from `execArgv` (process.execArgv), for a warning at startup. */
export function missingDaemonFlags(execArgv: readonly string[]): string[] {
  return DAEMON_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
