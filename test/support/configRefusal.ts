/** The check every config test makes of a refused config: CONFIG_INVALID naming the field, its line with a hint. */
import type { Test } from 'tap';
import { parseConfig } from '../../src/app/config/loadConfig.js';
import type { GatewayConfigInput } from '../../src/app/config/configSchema.js';

/** parseConfig's CONFIG_INVALID naming `path` as its field, with the message and a hint on that path's line */
export function refusedConfig(t: Test, config: GatewayConfigInput, path: string, message: RegExp): void {
  const err = t.throws(() => parseConfig(config, 'c.yaml'), { code: 'CONFIG_INVALID' }) as Error & { details?: { field?: string } };
  t.equal(err.details?.field, path, `the error names ${path}`);
  const line = err.message.split('\n').find((l) => l.includes(`c.yaml: ${path}: `)) ?? '';
  t.match(line, message, `${path}: ${message}`);
  t.match(line, / — hint: /, `${path} has a hint`);
}
