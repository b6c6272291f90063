/** The messages between the gateway and its rules worker (rulesWorker.ts, rulesWorkerThread.ts). */
import type { BatchOp } from '../../access/batchOpSchema.js';
import type { PackedIndex } from '../../access/indexTransfer.js';
import type { ChunkDecodeContext, HeldChunkReply } from '../../wire/chunkDecoder.js';
import type { GatewayErrorDetails } from '../../kernel/gatewayError.js';

export interface RulesWorkerData {
  dbPath: string;
  /** the device secret (PIN digests) */
  secret: Uint8Array;
  /** a staged snapshot of at least this many operations is compiled on a second thread during its copy (parallelCompile.ts) */
  parallelCompileFrom?: number;
}

export type RulesWorkerRequest =
  | { type: 'stage'; operations: readonly BatchOp[] }
  | { type: 'discard' }
  /** one chunk of a snapshot, kept until the snapshot is applied or dropped */
  | { type: 'stageChunk'; snapshotId: string; chunkIndex: number; operations: readonly BatchOp[] }
  | { type: 'dropChunks'; snapshotId: string }
  /** what decoding a snapshot chunk here needs (sent before the first decodeChunk, and when it changes) */
  | { type: 'decodeContext'; context: ChunkDecodeContext }
  /** verify and validate a message of the snapshot topic here; its operations are held under `token` */
  | { type: 'decodeChunk'; token: number; topic: string; payload: Uint8Array; now: number }
  | { type: 'stageHeld'; token: number; snapshotId: string; chunkIndex: number }
  | { type: 'releaseHeld'; token: number }
  | { type: 'apply'; id: number; replace: boolean; revision: number; hash: string; staged?: { snapshotId: string; chunkCount: number } }
  | { type: 'close' };

export type RulesWorkerReply =
  | { type: 'ready'; priority: { niceness: number } | { error: string } }
  /** `compile`: where the index was compiled, and why not on the compile thread if it was meant to be */
  | { type: 'applied'; id: number; packed: PackedIndex; ms: number; sentAt: number; compile: string }
  /**
   * `code`: a GatewayErrorCode, checked on arrival (an unknown one is INTERNAL); INTERNAL is a bug
   * of ours, and `stack` says where
   */
  | { type: 'failed'; id: number; code: string; message: string; details: GatewayErrorDetails; stack?: string }
  /** a decoded chunk, or `error` when decoding it here failed (a bug: the gateway decodes it itself) */
  | { type: 'decoded'; token: number; result: HeldChunkReply }
  | { type: 'decoded'; token: number; error: string };
