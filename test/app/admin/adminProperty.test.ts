/**
 * Random sequences of admin verbs, applied to a real gateway (SQLite file, the verbs' own checks)
 * and to a tiny independent model of the rules written here from docs/access-model.md: both
 * accept or refuse each verb alike, and after every verb every card decides alike at every door.
 */
import t from 'tap';
import fc from 'fast-check';
import { isGatewayError } from '../../../src/kernel/gatewayError.js';
import { adminRig } from '../../support/adminRig.js';

const PEOPLE = ['p1', 'p2', 'p3'];
const KEYS = ['k1', 'k2', 'k3'];
const DOORS = ['d1', 'd2', 'd3'];
const CARDS = ['26:1:1', '26:1:2', '26:1:3', '26:1:4'];
const CREDENTIALS = ['c1', 'c2', 'c3', 'c4', 'c5'];
const DAY = 86_400_000;

type Command =
  | { verb: 'person.add'; id: string }
  | { verb: 'person.suspend'; id: string; suspended: boolean }
  | { verb: 'person.remove'; id: string }
  | { verb: 'key.create' | 'key.edit'; id: string; doors: string[] }
  | { verb: 'give'; person: string; key: string; expired: boolean }
  | { verb: 'revoke'; person: string; key: string }
  | { verb: 'credential.add'; id: string; person: string; card: string }
  | { verb: 'credential.revoke'; id: string; lost: boolean };

const pick = (list: string[]) => fc.constantFrom(...list);
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ verb: fc.constant('person.add' as const), id: pick(PEOPLE) }) },
  { weight: 1, arbitrary: fc.record({ verb: fc.constant('person.suspend' as const), id: pick(PEOPLE), suspended: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ verb: fc.constant('person.remove' as const), id: pick(PEOPLE) }) },
  { weight: 4, arbitrary: fc.record({ verb: fc.constantFrom('key.create' as const, 'key.edit' as const), id: pick(KEYS), doors: fc.subarray(DOORS) }) },
  { weight: 4, arbitrary: fc.record({ verb: fc.constant('give' as const), person: pick(PEOPLE), key: pick(KEYS), expired: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ verb: fc.constant('revoke' as const), person: pick(PEOPLE), key: pick(KEYS) }) },
  { weight: 4, arbitrary: fc.record({ verb: fc.constant('credential.add' as const), id: pick(CREDENTIALS), person: pick(PEOPLE), card: pick(CARDS) }) },
  { weight: 1, arbitrary: fc.record({ verb: fc.constant('credential.revoke' as const), id: pick(CREDENTIALS), lost: fc.boolean() }) },
);

/** The rules, as small as they can be: people, keys of doors (24/7), holdings that are valid or expired, cards. */
class Model {
  people = new Map<string, { suspended: boolean }>();
  keys = new Map<string, Set<string>>();
  holdings = new Map<string, { expired: boolean }>();
  credentials = new Map<string, { person: string; card: string; lost: boolean }>();

  /** false: the verb must be refused, and nothing changes */
  apply(c: Command): boolean {
    switch (c.verb) {
      case 'person.add':
        if (this.people.has(c.id)) return false;
        this.people.set(c.id, { suspended: false });
        return true;
      case 'person.suspend':
        if (!this.people.has(c.id)) return false;
        this.people.set(c.id, { suspended: c.suspended });
        return true;
      case 'person.remove':
        if (!this.people.delete(c.id)) return false;
        for (const h of this.holdings.keys()) if (h.startsWith(`${c.id}/`)) this.holdings.delete(h);
        for (const [id, cr] of this.credentials) if (cr.person === c.id) this.credentials.delete(id);
        return true;
      case 'key.create':
        if (this.keys.has(c.id)) return false;
        this.keys.set(c.id, new Set(c.doors));
        return true;
      case 'key.edit':
        if (!this.keys.has(c.id)) return false;
        this.keys.set(c.id, new Set(c.doors));
        return true;
      case 'give':
        if (!this.people.has(c.person) || !this.keys.has(c.key)) return false;
        this.holdings.set(`${c.person}/${c.key}`, { expired: c.expired });
        return true;
      case 'revoke':
        return this.holdings.delete(`${c.person}/${c.key}`);
      case 'credential.add':
        if (this.credentials.has(c.id) || !this.people.has(c.person) || [...this.credentials.values()].some((cr) => cr.card === c.card)) return false;
        this.credentials.set(c.id, { person: c.person, card: c.card, lost: false });
        return true;
      case 'credential.revoke': {
        const cr = this.credentials.get(c.id);
        if (!cr) return false;
        if (c.lost) cr.lost = true;
        else this.credentials.delete(c.id);
        return true;
      }
    }
  }

  grants(door: string, card: string): boolean {
    const cr = [...this.credentials.values()].find((x) => x.card === card);
    if (!cr || cr.lost || this.people.get(cr.person)!.suspended) return false;
    for (const [key, doors] of this.keys) {
      const h = this.holdings.get(`${cr.person}/${key}`);
      if (h && !h.expired && doors.has(door)) return true;
    }
    return false;
  }
}

function request(c: Command, now: number): Record<string, unknown> {
  switch (c.verb) {
    case 'person.add':
      return { verb: c.verb, person: { id: c.id, name: c.id } };
    case 'person.suspend':
      return { verb: c.verb, id: c.id, suspended: c.suspended };
    case 'person.remove':
      return { verb: c.verb, id: c.id };
    case 'key.create':
      return { verb: c.verb, key: { id: c.id, name: c.id, doors: c.doors.map((doorId) => ({ doorId })) } };
    case 'key.edit':
      return { verb: c.verb, id: c.id, doors: c.doors.map((doorId) => ({ doorId, scheduleIds: [] })) };
    case 'give':
      return { verb: c.verb, holding: { personId: c.person, keyId: c.key, ...(c.expired ? { validFrom: now - 2 * DAY, validUntil: now - DAY } : { validUntil: now + DAY }) } };
    case 'revoke':
      return { verb: c.verb, personId: c.person, keyId: c.key };
    case 'credential.add':
      return { verb: c.verb, credential: { id: c.id, personId: c.person, kind: 'card', card: c.card } };
    case 'credential.revoke':
      return { verb: c.verb, id: c.id, lost: c.lost };
  }
}

const BASE = `site: {id: prop, name: Property, timeZone: Europe/Berlin}\ndoors: [${DOORS.map((d) => `{id: ${d}, name: ${d}}`).join(', ')}]\n`;

t.test('random admin verbs: the gateway and an independent model accept the same verbs and decide alike', async (t) => {
  const r = await adminRig(t, { demo: { seed: false } });
  const now = r.f.clock.now();
  let verbs = 0;
  let refused = 0;
  fc.assert(
    fc.property(fc.array(command, { minLength: 10, maxLength: 40, size: 'max' }), (commands) => {
      // every run starts from the bare site: applying it deletes whatever the last run left
      r.run({ verb: 'site.apply', site: { text: BASE, source: 'base.yaml' } });
      const model = new Model();
      for (const c of commands) {
        const accepted = model.apply(c);
        let applied = true;
        try {
          r.run(request(c, now));
        } catch (e) {
          if (!isGatewayError(e)) throw e;
          applied = false;
        }
        verbs++;
        if (!accepted) refused++;
        if (applied !== accepted) throw new Error(`${JSON.stringify(c)}: the gateway ${applied ? 'accepted' : 'refused'} it, the model ${accepted ? 'accepts' : 'refuses'} it`);
        for (const door of DOORS) {
          for (const card of CARDS) {
            const grant = r.decideCard(door, card).grant;
            if (grant !== model.grants(door, card)) throw new Error(`after ${JSON.stringify(c)}: card ${card} at ${door}: gateway ${grant}, model ${!grant}`);
          }
        }
      }
    }),
    { numRuns: 80, seed: 1717 },
  );
  t.ok(verbs > 1000, `${verbs} verbs compared`);
  t.ok(verbs - refused > 500, `${verbs - refused} of them applied`);
  t.ok(refused > 100, `both refused ${refused} of them alike, and accepted the rest`);
});
