/** The daemon's entry: `node dist/src/main.js [--config FILE]` (app/daemon.ts does the work). */
import { runDaemon } from './app/daemon.js';
import { isGatewayError } from './kernel/gatewayError.js';

export { runDaemon };

const isEntry = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  runDaemon(process.argv.slice(2)).catch((err: unknown) => {
    if (isGatewayError(err)) {
      process.stderr.write(`lockgw: ${err.code}: ${err.message}\n${err.details.hint ? `hint: ${err.details.hint}\n` : ''}`);
    } else {
      process.stderr.write(`lockgw: ${(err as Error).stack ?? String(err)}\n`);
    }
    // 2: a usage error (a wrong option), 1: anything else
    process.exit(isGatewayError(err, 'INPUT_INVALID') ? 2 : 1);
  });
}
