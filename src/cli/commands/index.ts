/** Every verb of `lockgw`, each registered by its own file (src/cli/README.md). Add one line per new verb file. */
import type { Command } from 'commander';
import type { CliContext } from '../cliContext.js';
import { registerBackup } from './backup.js';
import { registerBle } from './ble.js';
import { registerDecide } from './decide.js';
import { registerDoctor } from './doctor.js';
import { registerDoorcode } from './doorcode.js';
import { registerJournal } from './journal.js';
import { registerList } from './list.js';
import { registerPassThrough } from './passThrough.js';
import { registerProvision } from './provision.js';
import { registerRestore } from './restore.js';
import { registerLockdown, registerSim } from './sim.js';
import { registerStatus } from './status.js';
import { registerDoor } from './door.js';
import { registerWatch } from './watch.js';
import { registerLearn } from './learn.js';
import { registerFingerprint } from './fingerprint.js';
import { registerOperator } from './operator.js';
import { registerPerson } from './person.js';
import { registerKey } from './key.js';
import { registerCredential } from './credential.js';
import { registerSite } from './site.js';

export function registerCommands(program: Command, cli: CliContext): void {
  registerDecide(program, cli);
  registerDoorcode(program, cli);
  registerList(program, cli);
  registerJournal(program, cli);
  registerDoctor(program, cli);
  registerStatus(program, cli);
  registerSim(program, cli);
  registerLockdown(program, cli);
  registerBle(program, cli);
  registerProvision(program, cli);
  registerBackup(program, cli);
  registerRestore(program, cli);
  registerDoor(program, cli);
  registerWatch(program, cli);
  registerLearn(program, cli);
  registerFingerprint(program, cli);
  registerOperator(program, cli);
  registerPerson(program, cli);
  registerKey(program, cli);
  registerCredential(program, cli);
  registerSite(program, cli);
  registerPassThrough(program);
}
