/**
 * Keycard numbers, normalised so that a reader's decoded frame and a portal's record meet in
 * one lookup value.
 *
 *   "<bits>:<facility>:<number>"  a format with a facility code: 26:12:34567 (H10301),
 *                                  34:1200:40001 (H10306), 37:4000:300000 (H10304),
 *                                  35:4090:7473 (Corporate 1000: company, card), 48:… likewise;
 *                                  a format without a facility field has facility 0
 *   "raw:<bits>:<hex>"             any other frame, by its raw payload bits (hex, lower case)
 *
 * Leading zeros are dropped so 26:012:034567 and 26:12:34567 are the same card.
 */
export type CardParse = { ok: true; value: string } | { ok: false; reason: string };

/**
 * Facility and number ranges of the built-in formats' lengths; other lengths (custom formats,
 * whose widths the bridge config checks) accept any width.
 */
const KNOWN_FORMATS: Readonly<Record<number, { facilityMax: number; numberMax: number; name: string }>> = {
  26: { facilityMax: 0xff, numberMax: 0xffff, name: 'H10301' },
  34: { facilityMax: 0xffff, numberMax: 0xffff, name: 'H10306' },
  35: { facilityMax: 0xfff, numberMax: 0xfffff, name: 'corporate1000-35' },
  37: { facilityMax: 0xffff, numberMax: 0x7ffff, name: 'H10304' },
  48: { facilityMax: 0x3fffff, numberMax: 0x7fffff, name: 'corporate1000-48' },
};

const FC_FORMAT = /^(\d{1,3}):(\d{1,10}):(\d{1,12})$/;
const RAW_FORMAT = /^raw:(\d{1,3}):([0-9a-fA-F]{1,64})$/;

export function parseCardNumber(text: unknown): CardParse {
  if (typeof text !== 'string') return { ok: false, reason: 'a card number must be a string like 26:12:34567' };
  const fc = FC_FORMAT.exec(text);
  if (fc) {
    const bits = Number(fc[1]);
    const facility = Number(fc[2]);
    const number = Number(fc[3]);
    if (bits < 8 || bits > 200) return { ok: false, reason: `a card frame of ${bits} bits is not supported (8–200)` };
    const known = KNOWN_FORMATS[bits];
    if (known && facility > known.facilityMax) {
      return { ok: false, reason: `facility code ${facility} does not fit ${known.name} (${bits}-bit, max ${known.facilityMax})` };
    }
    if (known && number > known.numberMax) {
      return { ok: false, reason: `card number ${number} does not fit ${known.name} (${bits}-bit, max ${known.numberMax})` };
    }
    if (!Number.isSafeInteger(facility) || !Number.isSafeInteger(number)) return { ok: false, reason: 'facility code or card number too large' };
    return { ok: true, value: `${bits}:${facility}:${number}` };
  }
  const raw = RAW_FORMAT.exec(text);
  if (raw) {
    const bits = Number(raw[1]);
    if (bits < 1 || bits > 256) return { ok: false, reason: `a raw card frame of ${bits} bits is not supported (1–256)` };
    const hex = raw[2]!.toLowerCase().replace(/^0+(?=.)/, '');
    if (hex.length * 4 - 3 > bits) return { ok: false, reason: `raw payload ${hex} has more than ${bits} bits` };
    return { ok: true, value: `raw:${bits}:${hex}` };
  }
  return { ok: false, reason: `"${maskCardText(text)}" is not a card number: use <bits>:<facility>:<number> (26:12:34567) or raw:<bits>:<hex>` };
}

/** A card value safe to log: the facility stays, the card number keeps its last two digits. */
export function maskCardValue(value: string): string {
  const parts = value.split(':');
  const last = parts[parts.length - 1] ?? '';
  const masked = last.length <= 2 ? '**' : `${'*'.repeat(Math.min(last.length - 2, 8))}${last.slice(-2)}`;
  return [...parts.slice(0, -1), masked].join(':');
}

function maskCardText(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return short.replace(/\d(?=\d{2})/g, '*');
}
