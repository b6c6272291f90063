/**
 * The passphrase of a backup: from a file (`--passphrase-file F`: its first line) or typed at a
 * prompt on a terminal, never echoed; never from an argument (it would show in `ps`). Without
 * a file and without a terminal it is a usage error, not a hang.
 */
import { readFileSync, statSync } from 'node:fs';
import { GatewayError } from '../kernel/gatewayError.js';

const MIN_LENGTH = 8;

export interface PassphraseSource {
  file?: string;
  /** ask twice (a new backup): a typo would make the backup unopenable */
  confirm: boolean;
  /** the terminal; process.stdin and process.stderr in the CLI */
  input: NodeJS.ReadStream;
  prompt: NodeJS.WriteStream;
}

function checked(passphrase: string, where: string): string {
  if (passphrase.length < MIN_LENGTH) throw new GatewayError('INPUT_INVALID', `the passphrase ${where} is shorter than ${MIN_LENGTH} characters`, { field: 'passphrase' });
  return passphrase;
}

export async function readPassphrase(source: PassphraseSource): Promise<string> {
  if (source.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(source.file, 'utf8');
    } catch (err) {
      throw new GatewayError('INPUT_INVALID', `cannot read the passphrase file ${source.file}: ${(err as Error).message}`, { field: 'passphrase-file' }, { cause: err });
    }
    if ((statSync(source.file).mode & 0o007) !== 0) {
      throw new GatewayError('INPUT_INVALID', `the passphrase file ${source.file} is readable by anyone (mode ${(statSync(source.file).mode & 0o777).toString(8)})`, { field: 'passphrase-file', hint: `chmod o-rwx ${source.file}` });
    }
    return checked(text.split('\n')[0]!.replace(/\r$/, ''), `in ${source.file}`);
  }
  if (!source.input.isTTY) {
    throw new GatewayError('INPUT_INVALID', 'no passphrase: give --passphrase-file F, or run on a terminal to type it', {
      field: 'passphrase-file', hint: 'a passphrase is never taken as an argument: it would show in ps',
    });
  }
  const first = checked(await ask(source, 'backup passphrase: '), 'typed');
  if (source.confirm && (await ask(source, 'again: ')) !== first) throw new GatewayError('INPUT_INVALID', 'the two passphrases differ', { field: 'passphrase' });
  return first;
}

/**
 * A secret typed at a prompt (echo off, asked twice) on a terminal, or the first line of stdin
 * when stdin is a pipe (`echo 4711 | lockgw credential add ... --pin`): never an argument.
 */
export async function readSecretLine(source: Omit<PassphraseSource, 'file'> & { label: string }): Promise<string> {
  if (!source.input.isTTY) {
    let text = '';
    for await (const chunk of source.input) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    return text.split('\n')[0]!.replace(/\r$/, '');
  }
  const first = await ask(source, `${source.label}: `);
  if (source.confirm && (await ask(source, 'again: ')) !== first) throw new GatewayError('INPUT_INVALID', `the two ${source.label}s differ`, { field: source.label });
  return first;
}

/** One line from the terminal with echo off; Ctrl-C or Ctrl-D gives up. */
function ask(source: PassphraseSource, prompt: string): Promise<string> {
  const { input } = source;
  source.prompt.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      source.prompt.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new GatewayError('INPUT_INVALID', 'no passphrase given', { field: 'passphrase' }));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
