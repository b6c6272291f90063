/**
 * Serial hardware, declared once per bus and referenced by doors: Wiegand bridges (readers and
 * keypads on their ports), USB relay boards (strikes and maglocks on their channels) and R30x
 * fingerprint sensors. Paths should be /dev/serial/by-id/... so they survive reboots and replugs.
 */
import { z } from 'zod';
import { IdSchema } from '../../kernel/idSchema.js';
import { DEFAULT_FORMATS } from './wiegand/cardFormatBuiltins.js';
import { CardFormatEntrySchema, formatSetProblems } from './wiegand/cardFormatCheck.js';
import { MAX_FRAME_BITS } from './wiegand/cardFormatSchema.js';

const PathSchema = z.string().min(1).regex(/^\//, 'must be an absolute device path, e.g. /dev/serial/by-id/usb-...');

export const WiegandBridgeConfigSchema = z
  .strictObject({
    id: IdSchema,
    path: PathSchema,
    baudRate: z.number().int().positive().default(115_200),
    heartbeatTimeoutMs: z.number().int().min(500).max(60_000).default(3_000),
    /** frame lengths presented as raw:<bits>:<hex>, without any parity check */
    rawLengths: z.array(z.number().int().min(1).max(MAX_FRAME_BITS)).max(16).default([]),
    /** the card formats decoded: built-in names or custom layouts; listing them replaces the defaults */
    formats: z.array(CardFormatEntrySchema).max(16).default([...DEFAULT_FORMATS]),
  })
  .superRefine((bridge, ctx) => {
    for (const { path, message } of formatSetProblems(bridge.formats, bridge.rawLengths)) ctx.addIssue({ code: 'custom', path, message });
  });

export const RelayBoardConfigSchema = z
  .strictObject({
    id: IdSchema,
    path: PathSchema,
    /** lcus: the CH340 USB boards (no answer, no timer); waveshare-modbus: Modbus RTU boards with board-timed flashes (docs/relay-board.md) */
    protocol: z.enum(['lcus', 'waveshare-modbus']).default('lcus'),
    baudRate: z.number().int().positive().default(9_600),
    channels: z.number().int().min(1).max(16).default(4),
    /** re-send every channel's state this often (boards forget on brown-out); 0 disables */
    refreshMs: z.number().int().min(0).max(3_600_000).default(30_000),
    /** waveshare-modbus only: the board's Modbus address (default 1) */
    unit: z.number().int().min(1).max(247).optional(),
    /** waveshare-modbus only: the longest board-timed flash; a crash releases a door for at most this long (default 5,000) */
    keepaliveMs: z.number().int().min(1_000).max(60_000).optional(),
    /** waveshare-modbus only: how long to wait for the board's echo (default 250) */
    answerTimeoutMs: z.number().int().min(10).max(2_000).optional(),
  })
  .superRefine((board, ctx) => {
    if (board.protocol === 'waveshare-modbus') {
      if ((board.answerTimeoutMs ?? 250) * 4 > (board.keepaliveMs ?? 5_000)) {
        ctx.addIssue({ code: 'custom', path: ['answerTimeoutMs'], message: 'must be at most keepaliveMs / 4, so a renewal is confirmed well before its flash ends' });
      }
      return;
    }
    for (const field of ['unit', 'keepaliveMs', 'answerTimeoutMs'] as const) {
      if (board[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `only for protocol waveshare-modbus; an lcus board has no ${field === 'unit' ? 'address' : 'answer or timer'}` });
    }
  });

export const FingerprintSensorConfigSchema = z.strictObject({
  /** also the reader id in fingerprint credentials (`<id>:<slot>`) */
  id: IdSchema,
  path: PathSchema,
  baudRate: z.number().int().positive().default(57_600),
  password: z.number().int().min(0).max(0xffffffff).default(0),
  matchThreshold: z.number().int().min(1).max(300).default(50),
});

export const SerialConfigSchema = z
  .strictObject({
    wiegandBridges: z.array(WiegandBridgeConfigSchema).max(32).default([]),
    relayBoards: z.array(RelayBoardConfigSchema).max(32).default([]),
    fingerprintSensors: z.array(FingerprintSensorConfigSchema).max(64).default([]),
  })
  .prefault({});

/** A serial door's devices: where its reader, actuator and fingerprint sensor are. */
export const DoorSerialSchema = z.strictObject({
  reader: z.strictObject({ bridge: IdSchema, port: z.number().int().min(1).max(8) }),
  actuator: z.strictObject({ board: IdSchema, channel: z.number().int().min(1).max(16) }),
  fingerprint: IdSchema.optional(),
});

export type SerialConfig = z.output<typeof SerialConfigSchema>;
