/**
 * The Wiegand bridge line protocol (docs/wiegand-bridge.md): one ASCII message per line,
 * `<body> *<CRC-16 as 4 upper-case hex>\n`. Pure: the parsers never throw; every line gets a
 * message or `{ok: false, reason, detail}`. `detail` never repeats frame bits (they are card
 * data). The driver decides what a rejection means.
 */
import { INDICATOR_PATTERNS } from '../../indicatorPatterns.js';
import type { IndicatorPattern } from '../../types.js';
import { MAX_FRAME_BITS, type WiegandBits } from './wiegandFrame.js';

/** bytes before the LF, an optional CR included; longer lines are discarded up to the next LF */
export const MAX_LINE_LENGTH = 80;
/** reader ports are numbered 1..MAX_PORT */
export const MAX_PORT = 8;


/** the door inputs of a bridge port */
export const INPUT_LINES = ['contact', 'rex', 'aux'] as const;
export type BridgeInputLine = (typeof INPUT_LINES)[number];
/** open/closed: an unsupervised circuit; normal/active/cut/short: a supervised (end-of-line) loop */
export const INPUT_STATES = ['open', 'closed', 'normal', 'active', 'cut', 'short'] as const;
export type BridgeInputState = (typeof INPUT_STATES)[number];

/** bridge → gateway */
export type BridgeMessage =
  | { type: 'wiegand'; port: number; frame: WiegandBits }
  | { type: 'keypad'; port: number; frame: WiegandBits }
  | { type: 'heartbeat'; uptime: number; seq: number }
  | { type: 'version'; version: string }
  | { type: 'reset'; reason: string }
  | { type: 'input'; port: number; line: BridgeInputLine; state: BridgeInputState };

/** gateway → bridge */
export type BridgeCommand = { type: 'query_version' } | { type: 'query_inputs' } | { type: 'indicator'; port: number; pattern: IndicatorPattern };

export type LineRejection = 'empty' | 'too_long' | 'checksum' | 'syntax' | 'unknown_type';
export type LineResult<T> = { ok: true; message: T } | { ok: false; reason: LineRejection; detail: string };

type Fields = { ok: true; fields: string[] } | { ok: false; reason: LineRejection; detail: string };

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) over the byte values. */
export function crc16(text: string): number {
  let crc = 0xffff;
  for (let i = 0; i < text.length; i++) {
    crc ^= (text.charCodeAt(i) & 0xff) << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** `body` + ` *` + checksum + LF: a complete line. */
export function sealLine(body: string): string {
  return `${body} *${crc16(body).toString(16).toUpperCase().padStart(4, '0')}\n`;
}

export function parseBridgeLine(line: string): LineResult<BridgeMessage> {
  const split = splitLine(line);
  if (!split.ok) return split;
  const [type, ...args] = split.fields as [string, ...string[]];
  switch (type) {
    case 'W':
    case 'K':
      return parseFrame(type, args);
    case 'H': {
      if (args.length !== 2) return syntax('H takes uptime and seq');
      const uptime = decimal(args[0]!, 0xffffffff);
      const seq = decimal(args[1]!, 0xffff);
      if (uptime === null || seq === null) return syntax('H uptime is 0-4294967295, seq 0-65535');
      return { ok: true, message: { type: 'heartbeat', uptime, seq } };
    }
    case 'V':
      if (args.length !== 1 || !/^[0-9A-Za-z._+-]{1,32}$/.test(args[0]!)) return syntax('V takes one version of 1-32 characters [0-9A-Za-z._+-]');
      return { ok: true, message: { type: 'version', version: args[0]! } };
    case 'R':
      if (args.length !== 1 || !/^[a-z0-9_]{1,16}$/.test(args[0]!)) return syntax('R takes one reason of 1-16 characters [a-z0-9_]');
      return { ok: true, message: { type: 'reset', reason: args[0]! } };
    case 'I': {
      const port = args.length === 3 ? portOf(args[0]!) : null;
      const line = INPUT_LINES.find((l) => l === args[1]);
      const state = INPUT_STATES.find((s) => s === args[2]);
      if (port === null || line === undefined || state === undefined) return syntax(`I takes a port 1-${MAX_PORT}, one of ${INPUT_LINES.join(', ')} and one of ${INPUT_STATES.join(', ')}`);
      return { ok: true, message: { type: 'input', port, line, state } };
    }
    default:
      return { ok: false, reason: 'unknown_type', detail: `unknown message type ${nameOf(type)}` };
  }
}

export function parseCommandLine(line: string): LineResult<BridgeCommand> {
  const split = splitLine(line);
  if (!split.ok) return split;
  const [type, ...args] = split.fields as [string, ...string[]];
  if (type === 'Q') return args.length === 0 ? { ok: true, message: { type: 'query_version' } } : syntax('Q takes no fields');
  if (type === 'S') return args.length === 0 ? { ok: true, message: { type: 'query_inputs' } } : syntax('S takes no fields');
  if (type !== 'L') return { ok: false, reason: 'unknown_type', detail: `unknown command type ${nameOf(type)}` };
  const port = args.length === 2 ? portOf(args[0]!) : null;
  const pattern = INDICATOR_PATTERNS.find((p) => p === args[1]);
  if (port === null || pattern === undefined) return syntax(`L takes a port 1-${MAX_PORT} and one of ${INDICATOR_PATTERNS.join(', ')}`);
  return { ok: true, message: { type: 'indicator', port, pattern } };
}

export function encodeBridgeMessage(message: BridgeMessage): string {
  switch (message.type) {
    case 'wiegand':
    case 'keypad': {
      const hex = message.frame.value.toString(16).toUpperCase().padStart(Math.ceil(message.frame.count / 4), '0');
      return sealLine(`${message.type === 'wiegand' ? 'W' : 'K'} ${message.port} ${message.frame.count} ${hex}`);
    }
    case 'heartbeat':
      return sealLine(`H ${message.uptime} ${message.seq}`);
    case 'version':
      return sealLine(`V ${message.version}`);
    case 'reset':
      return sealLine(`R ${message.reason}`);
    case 'input':
      return sealLine(`I ${message.port} ${message.line} ${message.state}`);
  }
}

export function encodeCommand(command: BridgeCommand): string {
  switch (command.type) {
    case 'query_version':
      return sealLine('Q');
    case 'query_inputs':
      return sealLine('S');
    case 'indicator':
      return sealLine(`L ${command.port} ${command.pattern}`);
  }
}

/** Length, checksum, character set and field separators: what every line shares. */
function splitLine(raw: string): Fields {
  if (raw.length > MAX_LINE_LENGTH) return { ok: false, reason: 'too_long', detail: `${raw.length} bytes, max ${MAX_LINE_LENGTH}` };
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  if (line.length === 0) return { ok: false, reason: 'empty', detail: 'empty line' };
  const at = line.length - 6;
  if (at < 1 || line[at] !== ' ' || line[at + 1] !== '*' || !/^[0-9A-F]{4}$/.test(line.slice(at + 2))) {
    return { ok: false, reason: 'checksum', detail: 'no " *XXXX" checksum at the end' };
  }
  const body = line.slice(0, at);
  if (crc16(body) !== Number.parseInt(line.slice(at + 2), 16)) return { ok: false, reason: 'checksum', detail: 'checksum mismatch' };
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(body)) return { ok: false, reason: 'syntax', detail: 'fields are printable ASCII separated by single spaces' };
  return { ok: true, fields: body.split(' ') };
}

function parseFrame(type: 'W' | 'K', args: string[]): LineResult<BridgeMessage> {
  if (args.length !== 3) return syntax(`${type} takes port, bit count and hex`);
  const port = portOf(args[0]!);
  const count = decimal(args[1]!, MAX_FRAME_BITS);
  const hex = args[2]!;
  if (port === null) return syntax(`${type} port is 1-${MAX_PORT}`);
  if (count === null || count === 0) return syntax(`${type} bit count is 1-${MAX_FRAME_BITS}`);
  const keypad = count === 4 || count === 8;
  if (type === 'K' && !keypad) return syntax('K carries 4- or 8-bit bursts only');
  if (type === 'W' && keypad) return syntax('4- and 8-bit bursts are K lines');
  if (!/^[0-9A-F]+$/.test(hex) || hex.length !== Math.ceil(count / 4)) return syntax(`${count} bits are ${Math.ceil(count / 4)} upper-case hex digits`);
  const value = BigInt(`0x${hex}`);
  if (value >> BigInt(count) !== 0n) return syntax('bits set above the frame length');
  return { ok: true, message: { type: type === 'W' ? 'wiegand' : 'keypad', port, frame: { count, value } } };
}

function portOf(text: string): number | null {
  const port = decimal(text, MAX_PORT);
  return port === null || port === 0 ? null : port;
}

/** Decimal without sign or leading zeros, 0..max. */
function decimal(text: string, max: number): number | null {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) return null;
  const n = Number(text);
  return n <= max ? n : null;
}

/** A type letter is safe to log; anything longer could be card data. */
function nameOf(type: string): string {
  return /^[A-Za-z]$/.test(type) ? type : `of ${type.length} characters`;
}

function syntax(detail: string): { ok: false; reason: 'syntax'; detail: string } {
  return { ok: false, reason: 'syntax', detail };
}

export type FramedLine = { ok: true; line: string } | { ok: false; reason: 'too_long' };

/**
 * Bytes to lines over arbitrary chunking. Each byte is one character (latin1), so the checksum
 * sees exactly the bytes on the wire. A line growing past `maxLength` is reported once as
 * 'too_long' and the bytes up to the next LF are discarded (resync); the LF itself is never
 * part of a line.
 */
export class LineFramer {
  private pending = '';
  private discarding = false;

  constructor(private readonly maxLength: number = MAX_LINE_LENGTH) {}

  push(chunk: Uint8Array): FramedLine[] {
    const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    const out: FramedLine[] = [];
    let start = 0;
    for (;;) {
      const lf = text.indexOf('\n', start);
      const piece = lf === -1 ? text.slice(start) : text.slice(start, lf);
      if (!this.discarding) {
        if (this.pending.length + piece.length > this.maxLength) {
          out.push({ ok: false, reason: 'too_long' });
          this.discarding = true;
          this.pending = '';
        } else {
          this.pending += piece;
        }
      }
      if (lf === -1) return out;
      if (!this.discarding) out.push({ ok: true, line: this.pending });
      this.discarding = false;
      this.pending = '';
      start = lf + 1;
    }
  }

  /** Forget a partial line (the port reopened). */
  reset(): void {
    this.pending = '';
    this.discarding = false;
  }
}
