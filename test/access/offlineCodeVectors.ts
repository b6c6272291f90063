/**
 * The test vectors of docs/offline-doorcodes.md, computed from the code: offlineCodeVectors.test.ts
 * checks that the document shows exactly this text. The secret is a test vector (the bytes
 * 00 01 … 1f): never provision it.
 */
import { createHmac } from 'node:crypto';
import { codeId, codeMessage, deriveCode, parseWall, type OfflineCodeType } from '../../src/access/offlineCode.js';

export const VECTOR_SECRET = Buffer.from(Array.from({ length: 32 }, (_, i) => i));

interface Vector {
  scope: string;
  type: OfflineCodeType;
  singleUse: boolean;
  from: string;
  to: string;
  length: number;
}

export const VECTORS: Readonly<Record<string, Vector>> = {
  hourly_single: { scope: 'door:front', type: 'hourly', singleUse: true, from: '2027-03-14T09:00', to: '2027-03-14T12:00', length: 10 },
  daily_group: { scope: 'group:amenities', type: 'daily', singleUse: false, from: '2027-03-14T00:00', to: '2027-03-16T00:00', length: 10 },
  stay_single: { scope: 'door:unit-4', type: 'multi-day', singleUse: true, from: '2027-03-14T15:00', to: '2027-03-17T11:00', length: 10 },
  hourly_nine_digits: { scope: 'door:front', type: 'hourly', singleUse: false, from: '2027-10-31T01:00', to: '2027-10-31T03:00', length: 9 },
};

function vectorWindow(v: Vector) {
  return { scope: v.scope, type: v.type, singleUse: v.singleUse, start: parseWall(v.from)!, end: parseWall(v.to)! };
}

/** name → the exact text of the vector's block in the document */
export function vectorTexts(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(VECTORS)) {
    const w = vectorWindow(v);
    const message = codeMessage(w);
    const digest = createHmac('sha256', VECTOR_SECRET).update(message, 'ascii').digest();
    out[name] = [
      `message  ${message}`,
      `hmac     ${digest.toString('hex')}`,
      `uint64   ${digest.subarray(0, 8).toString('hex')} = ${digest.readBigUInt64BE(0)}`,
      `length   ${v.length}`,
      `code     ${deriveCode(VECTOR_SECRET, w, v.length)}`,
      `id       ${codeId(w)}`,
    ].join('\n');
  }
  return out;
}
