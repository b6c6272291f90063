/** The retained `up/state` says what the gateway runs now: republished after every apply, with its software version. */
import t from 'tap';
import { lockgwVersion } from '../../src/app/version.js';
import type { ApplyAck, GatewayState } from '../../src/wire/messages.js';
import { cloudGateway, until } from '../support/cloudHarness.js';
import { CloudState } from '../support/cloudState.js';
import { smallSite } from '../support/storeFixture.js';

t.test('after a snapshot is applied the retained state carries the new revision and hash, and the software', async (t) => {
  const { cloud, startup } = await cloudGateway(t, { upload: { pollMs: 100 } });
  await startup;
  const first = cloud.states.at(-1)!;
  t.match(first, { status: 'online', revision: 0, software: `lockgw ${lockgwVersion()}` });
  const state = new CloudState(t);
  state.change(smallSite());
  const acked = until<ApplyAck>(cloud.emitter, 'apply_ack', (a) => a.snapshotId === 'snap-1');
  const republished = until<GatewayState>(cloud.emitter, 'state', (s) => s.revision === 1);
  for (const chunk of state.snapshot('snap-1', 5)) await cloud.send('snapshot', chunk);
  const ack = await acked;
  t.match(await republished, { status: 'online', revision: 1, hash: ack.hash, software: `lockgw ${lockgwVersion()}` });
});
