/**
 * `lockgw cloud-sim doorcode`: issues an offline doorcode as the cloud does
 * (docs/offline-doorcodes.md), from the site's offline-code secret, for a door or a door group
 * and a window in the site's local time. Needs no gateway, no broker and no state: the code is a
 * function of the secret and the window. Prints the code on stdout (--json: a JSON line).
 */
import { loadDeviceSecret } from '../../../src/app/deviceSecret.js';
import {
  codeId, deriveCode, MAX_CODE_LENGTH, MIN_CODE_LENGTH, OFFLINE_CODE_TYPES, parseWall, windowProblem, type OfflineCodeType, type OfflineCodeWindow,
} from '../../../src/access/offlineCode.js';
import { IdSchema } from '../../../src/kernel/idSchema.js';
import { GatewayError } from '../../../src/kernel/gatewayError.js';
import type { CloudSimIo, Values } from './cloudSimContext.js';

const DAY = 1440;

function wallOption(values: Values, name: 'from' | 'to'): number {
  const text = values[name];
  if (typeof text !== 'string') throw new GatewayError('INPUT_INVALID', `doorcode needs --${name} YYYY-MM-DDTHH:MM (local time at the site)`, { field: name });
  const minutes = parseWall(text);
  if (minutes === null) throw new GatewayError('INPUT_INVALID', `--${name} "${text}" is not a local date and time YYYY-MM-DDTHH:MM`, { field: name, hint: 'the site\'s wall-clock time, no offset: e.g. 2027-03-14T15:00' });
  return minutes;
}

/** daily when both ends are at midnight, hourly when it fits in 24 whole hours, otherwise a stay */
function inferredType(start: number, end: number): OfflineCodeType {
  if (start % DAY === 0 && end % DAY === 0) return 'daily';
  if (start % 60 === 0 && end % 60 === 0 && end - start <= DAY) return 'hourly';
  return 'multi-day';
}

function scopeOf(values: Values): string {
  const { door, group } = values;
  if ((door === undefined) === (group === undefined)) throw new GatewayError('INPUT_INVALID', 'doorcode needs either --door ID or --group NAME', { field: 'door' });
  const id = (door ?? group)!;
  if (!IdSchema.safeParse(id).success) throw new GatewayError('INPUT_INVALID', `--${door === undefined ? 'group' : 'door'} "${id}" is not an id (letters, digits and . _ : @ -)`, { field: door === undefined ? 'group' : 'door' });
  return door === undefined ? `group:${id}` : `door:${id}`;
}

export async function doorcode(values: Values, io: CloudSimIo): Promise<number> {
  const file = values['secret-file'];
  if (typeof file !== 'string' || file === '') throw new GatewayError('INPUT_INVALID', 'doorcode needs --secret-file FILE (the site\'s offline-code secret)', { field: 'secret-file' });
  const scope = scopeOf(values);
  const start = wallOption(values, 'from');
  const end = wallOption(values, 'to');
  const given = values.type;
  if (given !== undefined && !(OFFLINE_CODE_TYPES as readonly string[]).includes(given)) {
    throw new GatewayError('INPUT_INVALID', `--type "${given}" must be one of ${OFFLINE_CODE_TYPES.join(', ')}`, { field: 'type' });
  }
  const type = (given as OfflineCodeType | undefined) ?? inferredType(start, end);
  const length = values.length === undefined ? 10 : Number(values.length);
  if (!Number.isInteger(length) || length < MIN_CODE_LENGTH || length > MAX_CODE_LENGTH) {
    throw new GatewayError('INPUT_INVALID', `--length "${values.length}" must be a whole number from ${MIN_CODE_LENGTH} to ${MAX_CODE_LENGTH} (the gateway's offlineCodes.length)`, { field: 'length' });
  }
  // a stay runs from its check-in to its check-out time: the gateway's offlineCodes.stay must say the same
  const stay = { checkIn: start % DAY, checkOut: end % DAY };
  const problem = windowProblem(type, start, end, stay);
  if (problem !== null) throw new GatewayError('INPUT_INVALID', `doorcode --from/--to: ${problem}`, { field: 'to' });
  const secret = loadDeviceSecret(file, values['new-secret'] === true, { field: 'secret-file', what: 'the offline-code secret', hint: 'the site secret shared with the gateway (its offlineCodes.secretFile); --new-secret creates one' });
  if (secret.created) io.err(`created a new offline-code secret ${file} (mode 0600): install the same file on the gateway`);
  if (secret.warning) io.err(secret.warning);
  const window: OfflineCodeWindow = { scope, type, singleUse: values['single-use'] === true, start, end };
  const code = deriveCode(secret.secret, window, length);
  const from = values.from!;
  const to = values.to!;
  if (values.json) io.out(JSON.stringify({ type: 'doorcode', code, id: codeId(window), scope, codeType: type, singleUse: window.singleUse, from, to }));
  else io.out(`${code}  ${scope}, ${type}${window.singleUse ? ', single use' : ''}, ${from} to ${to} (site time), id ${codeId(window)}`);
  return 0;
}
