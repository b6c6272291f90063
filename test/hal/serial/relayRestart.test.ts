/**
 * kill -9 of the daemon while an LCUS board holds a strike released: the board latches, so the
 * strike stays released until the daemon runs again; the restarted daemon de-energises it while
 * it starts (state reconciliation), before it reports ready. The time this takes is measured by
 * bench/relayRestartBench.ts; here only the behaviour is asserted (no wall-clock waits).
 */
import { once } from 'node:events';
import t from 'tap';
import { socatAvailable } from '../../support/ptyPair.js';
import { relayRestartRig } from '../../support/relayRestartRig.js';

const noSocat = !socatAvailable() && 'socat is not installed (apt-get install socat)';

t.test('kill -9 leaves an LCUS strike energised; the restarted daemon de-energises it before it is ready', { skip: noSocat }, async (t) => {
  const rig = await relayRestartRig(t);
  const first = rig.start();
  await first.ready;
  await rig.grant();
  t.ok(rig.relays.energised(rig.channel), 'the card released the strike');

  first.child.kill('SIGKILL');
  const [, signal] = await once(first.child, 'exit');
  t.equal(signal, 'SIGKILL');
  t.ok(rig.relays.energised(rig.channel), 'the board latches: still released after the daemon died');
  t.notMatch(first.output(), /"msg":"stopped"/, 'no graceful stop ran');

  const relocked = rig.nextFrame(false, 60_000);
  const second = rig.start();
  await relocked;
  t.notOk(rig.relays.energised(rig.channel), 'the restarted daemon de-energised the strike');
  await second.ready;
  const log = second.output();
  const reconciled = log.indexOf('"why":"start","msg":"sending every channel its intended state"');
  t.ok(reconciled >= 0 && reconciled < log.indexOf('lockgw ready'), 'it sent every channel its state while starting, before it reported ready');
  second.child.kill('SIGTERM');
  const [code] = await once(second.child, 'exit');
  t.equal(code, 0);
});
