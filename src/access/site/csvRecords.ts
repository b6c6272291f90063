/**
 * CSV as RFC 4180 writes it: fields separated by commas, records by CRLF (a bare LF is accepted
 * too), a field in double quotes may hold commas, line breaks and doubled quotes (""). Every
 * field remembers where it starts (line and column, 1-based) so errors can point at it. A UTF-8
 * byte order mark is skipped; blank lines are skipped.
 *
 * Refused, naming line and column: a quote inside an unquoted field, text after a closing quote,
 * a quoted field that never ends.
 */
import { GatewayError } from '../../kernel/gatewayError.js';

export interface CsvField {
  value: string;
  line: number;
  column: number;
}

export interface CsvRow {
  /** the line the record starts on */
  line: number;
  fields: CsvField[];
}

export function parseCsv(text: string, source: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const fail = (message: string, atLine: number, atColumn: number, hint?: string): never => {
    throw new GatewayError('INPUT_INVALID', `${source}:${atLine}:${atColumn}: ${message}`, { field: `line ${atLine}`, ...(hint ? { hint } : {}) });
  };
  let fields: CsvField[] = [];
  let rowLine = line;
  let blank = true;
  const endRow = () => {
    // a line with nothing on it is skipped; `""` alone is a record with one empty field
    if (!blank) rows.push({ line: rowLine, fields });
    fields = [];
    blank = true;
  };
  for (;;) {
    if (fields.length === 0) rowLine = line;
    const fieldLine = line;
    const column = i - lineStart + 1;
    let value = '';
    if (text[i] === '"') {
      blank = false;
      i += 1;
      for (;;) {
        if (i >= text.length) fail('this quoted field is never closed', fieldLine, column, 'close it with a double quote; a quote inside it is written ""');
        const ch = text[i]!;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (ch === '\n' || (ch === '\r' && text[i + 1] !== '\n')) {
          line += 1;
          lineStart = i + 1;
        }
        value += ch;
        i += 1;
      }
      if (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        fail('text after the closing quote of a field', line, i - lineStart + 1, 'a quote inside a quoted field is written ""');
      }
    } else {
      const start = i;
      while (i < text.length && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        if (text[i] === '"') fail('a quote inside an unquoted field', line, i - lineStart + 1, 'put the whole field in double quotes and write the quote as ""');
        i += 1;
      }
      value = text.slice(start, i);
      if (value !== '' || text[i] === ',') blank = false;
    }
    fields.push({ value, line: fieldLine, column });
    if (i >= text.length) break;
    if (text[i] === ',') {
      blank = false;
      i += 1;
      continue;
    }
    // end of record: CRLF, LF or a lone CR
    i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line += 1;
    lineStart = i;
    endRow();
    if (i >= text.length) break;
  }
  if (fields.length > 0) endRow();
  return rows;
}
