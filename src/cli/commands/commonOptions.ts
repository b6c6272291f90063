/** Options many verbs share, declared once so their wording and lookup stay the same. */
import { InvalidArgumentError, type Command } from 'commander';

/** `--config FILE`: else $LOCKGW_CONFIG, else /etc/lockgw/lockgw.yaml, else the demo defaults. */
export function configOption(command: Command): Command {
  return command.option('-c, --config <file>', 'the configuration (else $LOCKGW_CONFIG, else /etc/lockgw/lockgw.yaml, else the demo defaults)');
}

/** A parser for a whole-number option value; commander reports a bad one as a usage error naming the option. */
export function wholeNumber(min = 0): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`a whole number${min > 0 ? ` ≥ ${min}` : ''}, not "${value}"`);
    return n;
  };
}
