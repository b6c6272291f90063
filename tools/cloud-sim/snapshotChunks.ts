/**
 * Splitting a snapshot into chunks of at most `maxOps` operations whose signed message is at most
 * `maxBytes` (docs/mqtt.md: about 1 MiB, roughly 5,000 records). Two passes over the operations,
 * so a million records are never held as JSON at once: `planChunks` measures each operation and
 * returns only how many go into each chunk; `splitByPlan` then cuts the same sequence again.
 * The order of the operations is kept: give them in dependency order (dependencyOrder.ts).
 *
 * A single operation bigger than the budget gets a chunk of its own (it cannot be split).
 */
import { GatewayError } from '../../src/kernel/gatewayError.js';

export interface ChunkLimits {
  /** operations per chunk */
  maxOps: number;
  /** bytes of the signed MQTT payload of one chunk */
  maxBytes: number;
}

/** What docs/mqtt.md recommends: a gateway decodes one chunk in a few milliseconds, between door decisions. */
export const DEFAULT_CHUNK_LIMITS: ChunkLimits = { maxOps: 1000, maxBytes: 256 * 1024 };

/**
 * Bytes of a signed chunk besides its operations: the JWS header (kid ≤ 128 characters) and
 * signature, and the claims and body fields, all bounded by their schemas (iss ≤ 256, jti,
 * snapshotId and transaction ≤ 128 each, the hash, the numbers).
 */
const TOKEN_OVERHEAD_BYTES = 320;
const FIXED_JSON_BYTES = 1280;

/** How many bytes of operations JSON (`[` … `]` excluded) fit in a signed chunk of `maxBytes`. */
export function operationsBudget(maxBytes: number): number {
  // base64url turns 3 bytes of claims JSON into 4 characters
  return Math.floor(((maxBytes - TOKEN_OVERHEAD_BYTES) * 3) / 4) - FIXED_JSON_BYTES;
}

/** The UTF-8 size of one operation as it is serialised inside a message. */
export function operationBytes(op: unknown): number {
  return Buffer.byteLength(JSON.stringify(op));
}

/** The sizes of operations, one at a time (planChunks' input for a stream). */
export function* operationSizes(ops: Iterable<unknown>): Generator<number> {
  for (const op of ops) yield operationBytes(op);
}

export interface ChunkPlan {
  /** operations per chunk, in order; at least one chunk (an empty snapshot is one empty chunk) */
  counts: number[];
  operations: number;
  /** operations JSON in all chunks */
  bytes: number;
}

/** Throws INPUT_INVALID for limits that cannot hold an operation. */
export function validateLimits(limits: ChunkLimits): void {
  if (!Number.isInteger(limits.maxOps) || limits.maxOps < 1) {
    throw new GatewayError('INPUT_INVALID', `chunk size must be at least 1 operation, got ${limits.maxOps}`, { field: 'maxOps' });
  }
  if (!Number.isInteger(limits.maxBytes) || operationsBudget(limits.maxBytes) < 1024) {
    throw new GatewayError('INPUT_INVALID', `chunk byte limit ${limits.maxBytes} is too small for any operation`, { field: 'maxBytes', hint: 'use at least 4096 bytes' });
  }
}

/** Decides the chunk boundaries from the size of each operation (operationBytes), in order. */
export function planChunks(sizes: Iterable<number>, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): ChunkPlan {
  validateLimits(limits);
  const budget = operationsBudget(limits.maxBytes);
  const counts: number[] = [];
  let count = 0;
  let bytes = 0;
  let operations = 0;
  let total = 0;
  for (const size of sizes) {
    if (count > 0 && (count + 1 > limits.maxOps || bytes + 1 + size > budget)) {
      counts.push(count);
      count = 0;
      bytes = 0;
    }
    bytes += (count > 0 ? 1 : 0) + size;
    total += size;
    count += 1;
    operations += 1;
  }
  if (count > 0 || counts.length === 0) counts.push(count);
  return { counts, operations, bytes: total };
}

/**
 * Cuts `ops` into the chunks of `plan`. Throws INPUT_INVALID if the sequence is not as long as
 * when it was planned (the state changed between the passes).
 */
export function* splitByPlan<T>(ops: Iterable<T>, plan: ChunkPlan): Generator<T[]> {
  const iterator = ops[Symbol.iterator]();
  try {
    for (const [index, count] of plan.counts.entries()) {
      const chunk: T[] = [];
      while (chunk.length < count) {
        const next = iterator.next();
        if (next.done) throw new GatewayError('INPUT_INVALID', `chunk ${index} was planned with ${count} operations but the state ran out after ${chunk.length}: it changed while being read`);
        chunk.push(next.value);
      }
      yield chunk;
    }
    if (!iterator.next().done) throw new GatewayError('INPUT_INVALID', `the state has more than the ${plan.operations} operations planned: it changed while being read`);
  } finally {
    iterator.return?.();
  }
}

/** Both passes over an array (tests, small snapshots). */
export function chunkOperations<T>(ops: readonly T[], limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): T[][] {
  return [...splitByPlan(ops, planChunks(ops.map(operationBytes), limits))];
}
