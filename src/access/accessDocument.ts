/**
 * An access document: what a phone may carry so that a key issued after the gateway's last sync
 * opens a door anyway. The cloud signs it (src/wire/accessDocument.ts checks the signature); this
 * is its content once verified.
 */
export interface AccessDocument {
  /** the phone key's id: the credential's `mobileKeyId`, as the phone presents it */
  credentialId: string;
  personId: string;
  /** the phone key's public key, base64 SPKI DER, as a mobile credential's `publicKey` */
  publicKey: string;
  /** the doors it opens; without scheduleIds a door opens at any time */
  doors: ReadonlyArray<{ doorId: string; scheduleIds?: readonly string[] | undefined }>;
  /** epoch ms */
  validFrom?: number | undefined;
  /** epoch ms */
  validUntil: number;
  /** the cloud's rules revision the document was issued at */
  revision: number;
}
