/** The daemon's entry: `node dist/src/main.js [--config FILE]` (app/daemon.ts does the work). */
import { runDaemon } from './app/daemon.js';
import { isGatewayError } from './kernel/gatewayError.js';
import { isEntryPoint } from './app/entryPoint.js';

export { runDaemon };

if (isEntryPoint(import.meta.url)) {
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
