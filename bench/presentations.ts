/**
 * Seeded presentations against a synthetic site: 80 % known credentials (half of them at a door
 * of one of the holder's keys, half at any door), 20 % unknown ones, at instants spread uniformly
 * over the year. PINs arrive as digests (the keypad hashes once per entry, outside decide).
 *
 * Kept compact; `presentation(set, i)` builds the object a reader driver would hand to decide,
 * with freshly allocated strings (a decoder's output: not yet hashed, hot in the cache). The
 * benches build each one just before its timed call, so timings include hashing the value but
 * not cache misses on a million pre-built objects that no real door would have.
 */
import type { CredentialKind } from '../src/access/model.js';
import type { PinHasher } from '../src/access/pinDigest.js';
import type { Presentation } from '../src/access/verdict.js';
import { Prng } from './prng.js';
import { drawCard, drawPin, KIND, KIND_NAMES, YEAR_END, YEAR_START, type SyntheticSite } from './syntheticSite.js';

export interface PresentationSet {
  readonly length: number;
  readonly doorIds: readonly string[];
  readonly door: Int32Array;
  readonly kind: Uint8Array;
  readonly value: readonly string[];
  /** second factor typed after a card at a card+PIN door, when any */
  readonly pinDigest: readonly (string | undefined)[];
  /** the instant of each presentation, epoch ms */
  readonly at: Float64Array;
}

/** A copy of `s` that shares no cached hash with it. */
const fresh = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

/** Presentation i as a reader would hand it over: a new object with new strings. */
export function presentation(set: PresentationSet, i: number): Presentation {
  const p: Presentation = { doorId: set.doorIds[set.door[i]!]!, kind: KIND_NAMES[set.kind[i]!]! as CredentialKind, value: fresh(set.value[i]!) };
  const pin = set.pinDigest[i];
  if (pin !== undefined) p.pinDigest = fresh(pin);
  return p;
}

/** Every `count`-th presentation, evenly spaced, with the positions picked. */
export function subsample(set: PresentationSet, count: number): { set: PresentationSet; picked: Int32Array } {
  const n = Math.min(count, set.length);
  const picked = new Int32Array(n);
  for (let j = 0; j < n; j++) picked[j] = Math.floor((j * set.length) / n);
  return {
    set: {
      length: n,
      doorIds: set.doorIds,
      door: Int32Array.from(picked, (i) => set.door[i]!),
      kind: Uint8Array.from(picked, (i) => set.kind[i]!),
      value: Array.from(picked, (i) => set.value[i]!),
      pinDigest: Array.from(picked, (i) => set.pinDigest[i]),
      at: Float64Array.from(picked, (i) => set.at[i]!),
    },
    picked,
  };
}

export function makePresentations(site: SyntheticSite, count: number, seed: number, pinHasher: PinHasher): PresentationSet {
  const rng = new Prng(seed);
  const doorOf = new Int32Array(count);
  const kindOf = new Uint8Array(count);
  const value: string[] = new Array(count);
  const pinDigest: (string | undefined)[] = new Array(count).fill(undefined);
  const at = new Float64Array(count);
  const doors = site.doorIds.length;
  for (let i = 0; i < count; i++) {
    at[i] = Math.floor(YEAR_START + rng.next() * (YEAR_END - YEAR_START));
    if (rng.chance(0.8)) {
      const c = rng.int(0, site.credKind.length - 1);
      const p = site.credPerson[c]!;
      let door = rng.int(0, doors - 1);
      const first = site.holdingStart[p]!;
      const held = site.holdingStart[p + 1]! - first;
      if (held > 0 && rng.chance(0.5)) {
        const k = site.holdingKey[first + rng.int(0, held - 1)]!;
        door = site.keyDoor[site.keyDoorStart[k]! + rng.int(0, site.keyDoorStart[k + 1]! - site.keyDoorStart[k]! - 1)]!;
      }
      doorOf[i] = door;
      kindOf[i] = site.credKind[c]!;
      value[i] = site.credLookup[c]!;
      if (kindOf[i] === KIND.card && site.doorCardAndPin[door] === 1) {
        // the holder types a PIN after the card: usually their own, sometimes a wrong one, sometimes none
        const pin = site.personPin[p]!;
        const r = rng.next();
        if (pin >= 0 && r < 0.8) pinDigest[i] = site.credLookup[pin]!;
        else if (r < 0.9) pinDigest[i] = unknownPinDigest(site, rng, pinHasher);
      }
    } else {
      doorOf[i] = rng.int(0, doors - 1);
      const kind = rng.weighted([50, 30, 20]);
      kindOf[i] = kind;
      if (kind === KIND.card) {
        let card = drawCard(rng);
        while (site.cardCodes.has(card.code)) card = drawCard(rng);
        value[i] = card.value;
      } else if (kind === KIND.pin) {
        value[i] = unknownPinDigest(site, rng, pinHasher);
      } else {
        value[i] = `mk-${rng.hex(4)}-${rng.hex(16)}x`;
      }
    }
  }
  return { length: count, doorIds: site.doorIds, door: doorOf, kind: kindOf, value, pinDigest, at };
}

/** The digest of a PIN nobody at the site has. */
function unknownPinDigest(site: SyntheticSite, rng: Prng, pinHasher: PinHasher): string {
  let pin = drawPin(rng);
  while (site.pinCodes.has(pin.code)) pin = drawPin(rng);
  return pinHasher(pin.pin);
}
