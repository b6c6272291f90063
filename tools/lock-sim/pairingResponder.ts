/**
 * The lock's side of the pairing exchange (src/hal/ble/nuki/nukiPairing.ts has the steps), one
 * instance per connection. `handle` takes one decoded unencrypted message and returns the
 * replies; a new authorization is handed to `authorize` when the client confirmed it.
 */
import { NUKI_ID_TYPE_BRIDGE, NukiCommand, NukiStatus } from '../../src/hal/ble/nuki/nukiConstants.js';
import { nukiAuthenticator, nukiSharedKey, sameBytes, type NukiKeyPair, type RandomBytes } from '../../src/hal/ble/nuki/nukiCrypto.js';
import { concat, readU16, readU32, u32, type NukiMessage } from '../../src/hal/ble/nuki/nukiFrame.js';
import { encodeErrorReport } from '../../src/hal/ble/nuki/nukiMessages.js';

export interface EmulatedAuthorization {
  authId: number;
  sharedKey: Uint8Array;
  appId: number;
  idType: number;
  name: string;
}

export interface PairingContext {
  keyPair: NukiKeyPair;
  uuid: Uint8Array;
  random: RandomBytes;
  pairingMode(): boolean;
  /** assigns the auth id: an earlier pairing with the same app id is replaced */
  nextAuthId(appId: number): number;
  authorize(authorization: EmulatedAuthorization): void;
}

const error = (code: number, command: number): NukiMessage => ({ command: NukiCommand.ErrorReport, payload: encodeErrorReport({ code, command }) });
const P_ERROR_NOT_PAIRING = 0x10;
const P_ERROR_BAD_AUTHENTICATOR = 0x11;
const P_ERROR_BAD_PARAMETER = 0x12;

export class PairingResponder {
  private clientPublicKey: Uint8Array | undefined;
  private sharedKey: Uint8Array | undefined;
  private challenge: Uint8Array | undefined;
  private stage: 'idle' | 'key_sent' | 'authenticator' | 'data' | 'confirmation' = 'idle';
  private pending: (EmulatedAuthorization & { nb: Uint8Array }) | undefined;

  constructor(private readonly ctx: PairingContext) {}

  handle(message: NukiMessage): NukiMessage[] {
    const { command, payload } = message;
    if (!this.ctx.pairingMode()) return [error(P_ERROR_NOT_PAIRING, command)];
    if (command === NukiCommand.RequestData && readU16(payload, 0) === NukiCommand.PublicKey) {
      this.stage = 'key_sent';
      return [{ command: NukiCommand.PublicKey, payload: this.ctx.keyPair.publicKey }];
    }
    if (command === NukiCommand.PublicKey && this.stage === 'key_sent') {
      this.clientPublicKey = payload;
      this.sharedKey = nukiSharedKey(this.ctx.keyPair.secretKey, payload);
      return [this.newChallenge('authenticator')];
    }
    const k = this.sharedKey;
    if (!k || !this.challenge) return [error(P_ERROR_BAD_PARAMETER, command)];
    if (command === NukiCommand.AuthorizationAuthenticator && this.stage === 'authenticator') {
      const expected = nukiAuthenticator(k, this.clientPublicKey!, this.ctx.keyPair.publicKey, this.challenge);
      if (!sameBytes(payload, expected)) return this.fail(P_ERROR_BAD_AUTHENTICATOR, command);
      return [this.newChallenge('data')];
    }
    if (command === NukiCommand.AuthorizationData && this.stage === 'data') {
      const data = payload.subarray(32);
      if (!sameBytes(payload.subarray(0, 32), nukiAuthenticator(k, data, this.challenge))) return this.fail(P_ERROR_BAD_AUTHENTICATOR, command);
      const idType = data[0]!;
      if (idType > 3) return this.fail(P_ERROR_BAD_PARAMETER, command);
      const appId = readU32(data, 1);
      const name = new TextDecoder().decode(data.subarray(5, 37)).replace(/\0+$/, '');
      const na = data.subarray(37, 69);
      const authId = this.ctx.nextAuthId(appId);
      const nb = this.ctx.random(32);
      this.pending = { authId, sharedKey: k, appId, idType: idType || NUKI_ID_TYPE_BRIDGE, name, nb };
      this.stage = 'confirmation';
      const authIdBytes = u32(authId);
      const authenticator = nukiAuthenticator(k, authIdBytes, this.ctx.uuid, nb, na);
      return [{ command: NukiCommand.AuthorizationId, payload: concat(authenticator, authIdBytes, this.ctx.uuid, nb) }];
    }
    if (command === NukiCommand.AuthorizationIdConfirmation && this.stage === 'confirmation' && this.pending) {
      const authIdBytes = u32(this.pending.authId);
      const ok = sameBytes(payload.subarray(0, 32), nukiAuthenticator(k, authIdBytes, this.pending.nb)) && readU32(payload, 32) === this.pending.authId;
      if (!ok) return this.fail(P_ERROR_BAD_AUTHENTICATOR, command);
      const { nb: _nb, ...authorization } = this.pending;
      this.ctx.authorize(authorization);
      this.stage = 'idle';
      return [{ command: NukiCommand.Status, payload: Uint8Array.of(NukiStatus.complete) }];
    }
    return [error(P_ERROR_BAD_PARAMETER, command)];
  }

  private newChallenge(next: 'authenticator' | 'data'): NukiMessage {
    this.challenge = this.ctx.random(32);
    this.stage = next;
    return { command: NukiCommand.Challenge, payload: this.challenge };
  }

  private fail(code: number, command: number): NukiMessage[] {
    this.stage = 'idle';
    this.sharedKey = undefined;
    return [error(code, command)];
  }
}
