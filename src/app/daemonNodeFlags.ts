/**
 * The V8 flags the daemon runs with (package.json `start`, systemd/lockgw.service; the sync
 * benchmark starts its gateway with them too). They can only be given on node's command line:
 * NODE_OPTIONS refuses them.
 *
 * `--initial-old-space-size=64`: the doors' isolate lives on about 25 MB of heap, and V8 set its
 * old-generation limit to about twice that. During a million-credential snapshot it then kept
 * starting full (mark-compact) collections from its scheduling task, one every 100-170 ms with
 * the heap not growing (`--trace-incremental-marking`: "Start (task): v8: 24MB / 48MB / 24MB"):
 * 35-42 per snapshot, each a pause of up to 17 ms plus marking steps on the doors' thread.
 * Starting the limit at 64 MB leaves room: 4-5 per snapshot run, none of them while the chunks
 * arrive, two of them V8's memory reducer once the doors' loop is quiet again
 * (`npm run bench -- --only sync_snapshot` with LOCKGW_BENCH_NODE_FLAGS='--trace-gc'). It costs at
 * most about 40 MB more heap before a collection; the memory reducer still shrinks an idle heap.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=64'];

/** The daemon flags missing from `execArgv` (process.execArgv), for a warning at startup. */
export function missingDaemonFlags(execArgv: readonly string[]): string[] {
  return DAEMON_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}
