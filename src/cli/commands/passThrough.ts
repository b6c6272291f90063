/**
 * Verbs that parse their own arguments: the daemon (`lockgw run`, its options in
 * app/daemon.ts) and the other ends of the wire, loaded only when they run (never by the
 * daemon): the cloud simulator, a phone, a Nuki lock. Listed in `lockgw --help`; everything
 * after the verb is theirs.
 */
import type { Command } from 'commander';
import type { CliContext } from '../cliContext.js';

export const PASS_THROUGH: Record<string, { summary: string; run: (args: string[], cli: CliContext) => Promise<number> }> = {
  run: {
    summary: 'run the gateway daemon, as npm start does (lockgw run --help: its options)',
    run: async (args, cli) => {
      const { runDaemon } = await import('../../app/daemon.js');
      await runDaemon(args, cli.out);
      return 0;
    },
  },
  'cloud-sim': {
    summary: 'the cloud simulator: keygen, publish a site, serve, command (lockgw cloud-sim --help)',
    run: async (args, cli) => {
      const { runCloudSim } = await import('../../../tools/cloud-sim/cli/cloudSimCommand.js');
      return runCloudSim(args, { out: cli.out });
    },
  },
  'phone-sim': {
    summary: 'a phone with a phone key: keygen, open a door, a virtual BLE radio (lockgw phone-sim --help)',
    run: async (args, cli) => {
      const { runPhoneSim } = await import('../../../tools/phone-sim/cli/phoneSimCommand.js');
      return runPhoneSim(args, { out: cli.out });
    },
  },
  'lock-sim': {
    summary: 'an emulated Nuki lock, until Ctrl-C (lockgw lock-sim --help)',
    run: async (args, cli) => {
      const { runLockSim } = await import('../../../tools/lock-sim/cli/lockSimCommand.js');
      return runLockSim(args, { out: cli.out });
    },
  },
};

/** Lists the pass-through verbs in the help; runCli hands them their arguments before commander parses. */
export function registerPassThrough(program: Command): void {
  for (const [name, verb] of Object.entries(PASS_THROUGH)) {
    program.command(name).description(verb.summary).helpOption(false).allowUnknownOption().allowExcessArguments();
  }
}
