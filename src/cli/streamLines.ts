/**
 * The readable lines of the control socket's stream lines (`lockgw watch`, `door test`, `learn`,
 * `fingerprint`), with times in the site's zone. A learned value is printed here, for the
 * installer at the terminal, and nowhere else.
 */
import type { StreamLine } from '../wire/controlProtocol.js';
import { formatEvent } from './reports.js';

/** the verb that enrols what learn mode read (the admin verbs; kept in one place) */
export const ENROL_COMMAND = 'lockgw credential add CREDENTIAL-ID --person PERSON';

function timeIn(at: number, timeZone: string): string {
  return new Date(at).toLocaleTimeString('sv-SE', { timeZone });
}

const LEVELS = { door: ['closed', 'OPEN'], rex: ['released', 'PRESSED'], fire: ['normal', 'FIRE ACTIVE'] } as const;

export function streamLineText(line: StreamLine, timeZone: string): string[] {
  if (!line.ok) return [`error    ${line.error}`];
  switch (line.stream) {
    case 'started':
      return line.note ? [line.note] : [];
    case 'event':
      return [formatEvent(line.event as Parameters<typeof formatEvent>[0], timeZone)];
    case 'health': {
      const h = line.health;
      const state = h.state === 'online' ? 'online' : h.state.toUpperCase();
      return [`${timeIn(h.since, timeZone)} ${line.doorId ?? 'site'} HEALTH ${line.device} ${state} (${h.reason})`];
    }
    case 'pulse':
      return [`strike   ${line.released ? '' : 'NOT released: '}${line.note}`];
    case 'pattern':
      return [`led      ${line.pattern.padEnd(10)} ${line.shown ? 'shown' : `NOT shown: ${line.note ?? ''}`}`];
    case 'input': {
      const level = line.value === null ? 'UNKNOWN (offline or loop fault)' : LEVELS[line.input][line.value ? 1 : 0];
      return [line.initial ? `input    ${line.input.padEnd(5)} ${level}` : `${timeIn(line.at, timeZone)} ${line.input} ${level}`];
    }
    case 'progress':
      return [`sensor   ${{ place: 'place the finger on the sensor', lift: 'lift the finger', 'place-again': 'place the same finger again', stored: 'stored' }[line.step] ?? line.step}`];
    case 'learned':
      return line.kind === 'card'
        ? [`learned  card ${line.value}`, `enrol it: ${ENROL_COMMAND} --card ${line.value}`]
        : [`learned  keypad code ${line.value}`, `enrol it: ${ENROL_COMMAND} --pin   (type the code at its prompt, not on the command line)`];
    case 'end':
      return [`end      ${line.reason}`];
  }
}
