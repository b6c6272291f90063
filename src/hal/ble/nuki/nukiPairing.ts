/**
 * The installer's pairing procedure (for `lockgw ble pair`): authorizes lockgw with a lock that
 * is in pairing mode (button held 5 s), over a BleLink to its pairing service, unencrypted on
 * the pairing GDIO:
 *   1. → Request Data(Public Key)                ← Public Key (the lock's, 32)
 *   2. → Public Key (ours, 32); both derive k = kdf1(dh1(secret, peer public))
 *   3. ← Challenge c1   → Authorization Authenticator h1(k, our pk ‖ lock pk ‖ c1)
 *   4. ← Challenge c2   → Authorization Data h1(k, D ‖ c2) ‖ D,
 *                         D = id type 1 (bridge) ‖ app id 4 ‖ name 32 ‖ nonce na 32
 *   5. ← Authorization-ID  a ‖ auth id 4 ‖ uuid 16 ‖ nonce nb 32, where we check
 *                         a = h1(k, auth id ‖ uuid ‖ nb ‖ na)
 *   6. → Authorization-ID Confirmation h1(k, auth id ‖ nb) ‖ auth id
 *   7. ← Status COMPLETE
 * An Error Report (P_ERROR_NOT_PAIRING when pairing mode is off) rejects DEVICE_ERROR naming it;
 * silence rejects DEVICE_TIMEOUT; an Authorization-ID whose authenticator does not verify rejects
 * DEVICE_ERROR with hint 'authenticator' (not a lock we can trust).
 * The result holds the shared key: the caller stores it encrypted and never logs it.
 */
import type { Clock } from '../../../kernel/clock.js';
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { BleLink } from '../bleLink.js';
import { NUKI_ID_TYPE_BRIDGE, NUKI_PAIRING_GDIO, NukiCommand, NukiStatus, nukiErrorName } from './nukiConstants.js';
import { nukiAuthenticator, nukiKeyPair, nukiSharedKey, sameBytes, systemRandom, type RandomBytes } from './nukiCrypto.js';
import { concat, decodePlain, encodePlain, readU32, u16, u32, type NukiMessage } from './nukiFrame.js';
import { NukiInbox } from './nukiInbox.js';
import type { NukiCredentials } from './nukiSession.js';
import { NukiChunkedChannel } from './nukiTransport.js';

export interface NukiPairOptions {
  /** our id at the lock (a lock overwrites an earlier pairing with the same id); 32 bits */
  appId: number;
  /** shown in the Nuki app's user list; at most 32 bytes of UTF-8 */
  appName: string;
  clock: Clock;
  /** the wait for each answer; default 10,000 */
  stepTimeoutMs?: number;
  random?: RandomBytes;
}

function nameField(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length > 32) throw new GatewayError('INPUT_INVALID', 'the app name is longer than 32 bytes of UTF-8', { field: 'appName' });
  const out = new Uint8Array(32);
  out.set(bytes);
  return out;
}

export async function pair(link: BleLink, options: NukiPairOptions): Promise<NukiCredentials> {
  const { clock, appId } = options;
  if (!Number.isInteger(appId) || appId < 0 || appId > 0xffffffff) throw new GatewayError('INPUT_INVALID', 'appId must be a 32-bit unsigned integer', { field: 'appId' });
  const name = nameField(options.appName);
  const random = options.random ?? systemRandom;
  const stepMs = options.stepTimeoutMs ?? 10_000;
  const inbox = new NukiInbox(clock, link.peer);
  const channel = new NukiChunkedChannel(link.channel(NUKI_PAIRING_GDIO), false, (frame) => {
    const decoded = decodePlain(frame);
    if (decoded.ok) inbox.push(decoded.message);
  }, () => undefined);
  const unsubscribeClose = link.onClose((reason) => inbox.close(reason));
  const send = (command: number, payload: Uint8Array) => channel.send(encodePlain(command, payload));
  const expect = async (command: number, length: number, what: string): Promise<Uint8Array> => {
    for (;;) {
      const message: NukiMessage = await inbox.next(stepMs, what);
      if (message.command === NukiCommand.ErrorReport) {
        const code = message.payload[0] ?? 0xff;
        throw new GatewayError('DEVICE_ERROR', `lock ${link.peer} refused pairing: ${nukiErrorName(code)}`, { id: link.peer, hint: code === 0x10 ? 'hold the lock\'s button for 5 s to enter pairing mode' : undefined });
      }
      if (message.command === command && message.payload.length === length) return message.payload;
    }
  };
  try {
    await send(NukiCommand.RequestData, u16(NukiCommand.PublicKey));
    const lockPublicKey = await expect(NukiCommand.PublicKey, 32, 'public key');
    const ours = nukiKeyPair(random);
    await send(NukiCommand.PublicKey, ours.publicKey);
    const sharedKey = nukiSharedKey(ours.secretKey, lockPublicKey);
    ours.secretKey.fill(0);
    const c1 = await expect(NukiCommand.Challenge, 32, 'first challenge');
    await send(NukiCommand.AuthorizationAuthenticator, nukiAuthenticator(sharedKey, ours.publicKey, lockPublicKey, c1));
    const c2 = await expect(NukiCommand.Challenge, 32, 'second challenge');
    const na = random(32);
    const data = concat(Uint8Array.of(NUKI_ID_TYPE_BRIDGE), u32(appId), name, na);
    await send(NukiCommand.AuthorizationData, concat(nukiAuthenticator(sharedKey, data, c2), data));
    const idMessage = await expect(NukiCommand.AuthorizationId, 84, 'authorization id');
    const authIdBytes = idMessage.subarray(32, 36);
    const uuid = idMessage.subarray(36, 52);
    const nb = idMessage.subarray(52, 84);
    if (!sameBytes(idMessage.subarray(0, 32), nukiAuthenticator(sharedKey, authIdBytes, uuid, nb, na))) {
      throw new GatewayError('DEVICE_ERROR', `lock ${link.peer} sent an authorization id whose authenticator does not verify`, { id: link.peer, hint: 'authenticator' });
    }
    await send(NukiCommand.AuthorizationIdConfirmation, concat(nukiAuthenticator(sharedKey, authIdBytes, nb), authIdBytes));
    const status = await expect(NukiCommand.Status, 1, 'pairing status');
    if (status[0] !== NukiStatus.complete) throw new GatewayError('DEVICE_ERROR', `lock ${link.peer} did not complete pairing (status ${status[0]})`, { id: link.peer });
    return { authId: readU32(authIdBytes, 0), sharedKey, lockPublicKey: Uint8Array.from(lockPublicKey), appId };
  } finally {
    channel.close();
    unsubscribeClose();
  }
}
