#!/usr/bin/env node
/**
 * The `lockgw` command for installers: one verb per file under commands/ (src/cli/README.md),
 * parsed by commander (program.ts). `lockgw --help` lists the verbs; `lockgw <verb> --help` shows
 * a verb's options and examples. Exit codes: 0 done, 1 error, 2 usage, 3 refused or denied.
 */
import { CommanderError } from 'commander';
import { isGatewayError } from '../kernel/gatewayError.js';
import { CliContext, EXIT, exitCodeFor, processIo, type CliIo, type Out } from './cliContext.js';
import { PASS_THROUGH } from './commands/passThrough.js';
import { buildProgram } from './program.js';
import { isEntryPoint } from '../app/entryPoint.js';

/** Runs one command line; returns its exit code. A GatewayError is printed (with its hint), never thrown. */
export async function runCli(argv: string[], out?: Out, err?: Out, io: Partial<CliIo> = {}): Promise<number> {
  const cli = new CliContext({ ...processIo(), ...(out ? { out } : {}), ...(err ? { err } : {}), ...io });
  try {
    const [verb, ...rest] = argv;
    const passThrough = verb === undefined ? undefined : PASS_THROUGH[verb];
    if (passThrough) return await passThrough.run(rest, cli);
    await buildProgram(cli).parseAsync(argv, { from: 'user' });
    return cli.exitCode;
  } catch (e) {
    // help or the version asked for: 0; a usage error (or help shown because no verb was given): 2
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (!isGatewayError(e)) throw e;
    cli.err(`lockgw: ${e.message}${e.details.hint ? `\nhint: ${e.details.hint}` : ''}`);
    return exitCodeFor(e.code);
  }
}

if (isEntryPoint(import.meta.url)) {
  // `lockgw list people | head -2`: a reader that went away ends the output quietly, not with a stack
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  runCli(process.argv.slice(2)).then(
    (code) => {
      if (process.argv[2] !== 'run') process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`lockgw: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = EXIT.error;
    },
  );
}
