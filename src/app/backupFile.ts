/**
 * The sealed backup file: named parts (files) encrypted together under a passphrase.
 *
 *   line 1   `lockgw-backup/1`
 *   line 2   header JSON: scrypt parameters and salt, the AES-256-GCM iv, a passphrase check
 *   body     AES-256-GCM of: u32 manifest length ‖ manifest JSON ‖ each part's bytes in order
 *   last 16  the GCM tag; lines 1 and 2 are its associated data
 *
 * scrypt (node:crypto) turns the passphrase into 64 bytes: the first 32 are the AES key, the
 * rest key an HMAC of a fixed text stored in the header, so a wrong passphrase is told apart
 * from a damaged file before anything is decrypted. Parts stream through in chunks (a database
 * of hundreds of MB never sits in memory). Opening writes each part to a new file of its own
 * (mode 0600, never over an existing one) and removes those files again unless the tag checks:
 * a caller only ever sees parts of a file that authenticated as a whole.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { z } from 'zod';
import { GatewayError } from '../kernel/gatewayError.js';

export const BACKUP_FORMAT = 'lockgw-backup/1';
const MAGIC = 'lockgw-backup/';
const CHECK_TEXT = 'lockgw backup passphrase check';
const TAG_BYTES = 16;
const CHUNK = 1 << 20;
/** 2^15 × 8 × 128 B = 32 MiB of memory per derivation; about a second on a Raspberry Pi 4 */
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const MAX_HEADER = 4096;
const MAX_MANIFEST = 1 << 20;

const HeaderSchema = z.strictObject({
  kdf: z.strictObject({ name: z.literal('scrypt'), N: z.number().int().min(1 << 14).max(1 << 17), r: z.number().int().min(1).max(8), p: z.number().int().min(1).max(4), salt: z.string().min(16) }),
  cipher: z.literal('aes-256-gcm'),
  iv: z.string().min(16),
  check: z.string().min(16),
});

const PartSchema = z.strictObject({ name: z.string().min(1), size: z.number().int().min(0) });

/** What a backup says about itself; `parts` frames the body. */
export const ManifestSchema = z.strictObject({
  format: z.literal(BACKUP_FORMAT),
  createdAt: z.string(),
  gatewayId: z.string(),
  lockgwVersion: z.string(),
  schemaVersion: z.number().int().min(0),
  parts: z.array(PartSchema).min(1),
});
export type BackupManifest = z.output<typeof ManifestSchema>;

export interface PartSource {
  name: string;
  /** the file whose bytes become the part */
  file: string;
}

function keys(passphrase: string, kdf: z.output<typeof HeaderSchema>['kdf']): { key: Buffer; check: Buffer } {
  const derived = scryptSync(passphrase.normalize('NFC'), Buffer.from(kdf.salt, 'base64'), 64, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
  const check = createHmac('sha256', derived.subarray(32)).update(CHECK_TEXT).digest().subarray(0, 16);
  return { key: derived.subarray(0, 32), check };
}

/**
 * Writes `dest` (which must not exist) holding `parts` under `passphrase`. `manifest` is
 * completed with each part's size. The file is complete when this returns; on an error the
 * partial file is removed (it is this call's own).
 */
export function writeBackupFile(dest: string, passphrase: string, manifest: Omit<BackupManifest, 'parts'>, parts: PartSource[]): { bytes: number } {
  const kdf = { name: 'scrypt' as const, ...SCRYPT, salt: randomBytes(16).toString('base64') };
  const { key, check } = keys(passphrase, kdf);
  const iv = randomBytes(12);
  const head = Buffer.from(`${BACKUP_FORMAT}\n${JSON.stringify({ kdf, cipher: 'aes-256-gcm', iv: iv.toString('base64'), check: check.toString('base64') })}\n`, 'utf8');
  const full: BackupManifest = { ...manifest, parts: parts.map((p) => ({ name: p.name, size: statSync(p.file).size })) };
  const manifestBytes = Buffer.from(JSON.stringify(full), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(manifestBytes.length);
  const fd = openSync(dest, 'wx', 0o600);
  let done = false;
  try {
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(head);
    writeSync(fd, head);
    writeSync(fd, cipher.update(Buffer.concat([length, manifestBytes])));
    const chunk = Buffer.alloc(CHUNK);
    full.parts.forEach((part, i) => {
      const source = openSync(parts[i]!.file, 'r');
      try {
        let left = part.size;
        while (left > 0) {
          const n = readSync(source, chunk, 0, Math.min(CHUNK, left), null);
          if (n === 0) throw new GatewayError('INPUT_INVALID', `${parts[i]!.file} shrank while it was being backed up`);
          writeSync(fd, cipher.update(chunk.subarray(0, n)));
          left -= n;
        }
      } finally {
        closeSync(source);
      }
    });
    writeSync(fd, cipher.final());
    writeSync(fd, cipher.getAuthTag());
    const bytes = fstatSync(fd).size;
    done = true;
    return { bytes };
  } finally {
    closeSync(fd);
    if (!done) rmSync(dest, { force: true });
  }
}

export interface OpenedBackup {
  manifest: BackupManifest;
  /** part name → the file it was written to (the caller's to move or remove) */
  files: Map<string, string>;
}

function damaged(file: string, why: string): GatewayError {
  return new GatewayError('INPUT_INVALID', `${file} is damaged: ${why}`, { field: 'FILE', hint: 'use another copy of the backup' });
}

/**
 * Opens `file` with `passphrase`, writing each part to `placeFor(name)` (a path that must not
 * exist). Throws INPUT_INVALID naming what is wrong (not a backup, a newer format, the wrong
 * passphrase, a damaged or truncated file); then no part file is left behind.
 */
export function openBackupFile(file: string, passphrase: string, placeFor: (part: string) => string): OpenedBackup {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new GatewayError('INPUT_INVALID', `cannot read the backup ${file}: ${(err as Error).message}`, { field: 'FILE' }, { cause: err });
  }
  const written: string[] = [];
  let ok = false;
  try {
    const size = fstatSync(fd).size;
    const start = Buffer.alloc(Math.min(MAX_HEADER, size));
    readSync(fd, start, 0, start.length, 0);
    const first = start.indexOf(10);
    const second = first < 0 ? -1 : start.indexOf(10, first + 1);
    const format = start.subarray(0, first < 0 ? start.length : first).toString('utf8');
    if (!format.startsWith(MAGIC)) throw new GatewayError('INPUT_INVALID', `${file} is not a lockgw backup (it does not begin with ${BACKUP_FORMAT})`, { field: 'FILE' });
    if (format !== BACKUP_FORMAT) throw new GatewayError('INPUT_INVALID', `${file} is a ${format} backup; this lockgw reads ${BACKUP_FORMAT}`, { field: 'FILE', hint: 'restore it with the lockgw version that made it, or a newer one' });
    if (second < 0) throw damaged(file, 'its header is cut short');
    let header: z.output<typeof HeaderSchema>;
    try {
      header = HeaderSchema.parse(JSON.parse(start.subarray(first + 1, second).toString('utf8')));
    } catch (err) {
      throw damaged(file, `its header does not parse (${(err as Error).message.split('\n')[0]})`);
    }
    const { key, check } = keys(passphrase, header.kdf);
    const stored = Buffer.from(header.check, 'base64');
    if (stored.length !== check.length || !timingSafeEqual(stored, check)) {
      throw new GatewayError('INPUT_INVALID', `the passphrase does not open ${file}`, { field: 'passphrase', hint: 'give the passphrase the backup was made with (--passphrase-file F, or type it at the prompt)' });
    }
    const bodyStart = second + 1;
    const bodyEnd = size - TAG_BYTES;
    if (bodyEnd < bodyStart + 4) throw damaged(file, 'it ends before its contents begin');
    const tag = Buffer.alloc(TAG_BYTES);
    readSync(fd, tag, 0, TAG_BYTES, bodyEnd);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.iv, 'base64'));
    decipher.setAAD(start.subarray(0, bodyStart));
    decipher.setAuthTag(tag);

    // the plaintext, read in chunks; `take(n)` hands back the next n bytes
    let position = bodyStart;
    let pending = Buffer.alloc(0);
    const chunk = Buffer.alloc(CHUNK);
    const more = (): boolean => {
      if (position >= bodyEnd) return false;
      const n = readSync(fd, chunk, 0, Math.min(CHUNK, bodyEnd - position), position);
      position += n;
      pending = Buffer.concat([pending, decipher.update(chunk.subarray(0, n))]);
      return true;
    };
    const take = (n: number): Buffer => {
      while (pending.length < n) if (!more()) throw damaged(file, 'it is shorter than its contents say');
      const out = pending.subarray(0, n);
      pending = pending.subarray(n);
      return out;
    };
    const manifestLength = take(4).readUInt32BE(0);
    if (manifestLength > MAX_MANIFEST) throw damaged(file, 'its table of contents is too large');
    let manifest: BackupManifest;
    try {
      manifest = ManifestSchema.parse(JSON.parse(take(manifestLength).toString('utf8')));
    } catch (err) {
      throw damaged(file, `its table of contents does not parse (${(err as Error).message.split('\n')[0]})`);
    }
    const files = new Map<string, string>();
    for (const part of manifest.parts) {
      if (files.has(part.name)) throw damaged(file, `it holds ${part.name} twice`);
      const target = placeFor(part.name);
      const out = openSync(target, 'wx', 0o600);
      written.push(target);
      files.set(part.name, target);
      try {
        let left = part.size;
        while (left > 0) {
          if (pending.length === 0 && !more()) throw damaged(file, `it ends inside ${part.name}`);
          const piece = pending.subarray(0, Math.min(left, pending.length));
          writeSync(out, piece);
          pending = pending.subarray(piece.length);
          left -= piece.length;
        }
      } finally {
        closeSync(out);
      }
    }
    while (more());
    if (pending.length > 0) throw damaged(file, 'it holds more than its contents say');
    try {
      decipher.final();
    } catch {
      throw damaged(file, 'its authentication tag does not match (changed or cut short after it was written)');
    }
    ok = true;
    return { manifest, files };
  } finally {
    closeSync(fd);
    if (!ok) for (const w of written) rmSync(w, { force: true });
  }
}
