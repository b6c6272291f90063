/** The README walks through examples/site.yaml and examples/users.csv: they must stay valid. */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadSiteInput } from '../../../src/app/site/siteInput.js';

const example = (name: string) => fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url));

t.test('the README example site and bulk-user CSV load without a problem', async (t) => {
  const input = await loadSiteInput({ site: example('site.yaml'), users: example('users.csv') });
  const { records } = input;
  t.equal(records.site?.id, 'linden');
  t.same(records.doors.map((d) => d.id), ['lobby', 'garage', 'server-room', 'gym', 'pool'], 'the doors npm start simulates');
  t.same(records.people.map((p) => p.id).sort(), ['ann', 'user:bob@example.com', 'user:carla@example.com', 'user:maint@example.com']);
  t.ok(records.credentials.some((c) => c.id === 'ann-card'));
});
