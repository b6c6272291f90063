// A stand-in for one libgpiod tool (gpioget or gpiomon), run by the wrapper scripts that
// test/support/fakeGpiod.ts writes: it tells the test's control socket how it was invoked and
// then does what the test says, one JSON command per line:
//   {"out": text} to stdout, {"err": text} to stderr, {"exit": code},
//   {"ignoreTerm": true} (answered with {"ack": true}): SIGTERM no longer ends it.
// When the control socket closes (the test ended), it exits.
import { createConnection } from 'node:net';

const [socketPath, tool, ...args] = process.argv.slice(2);
const socket = createConnection(socketPath);
socket.setEncoding('utf8');
socket.on('error', (err) => {
  process.stderr.write(`fake ${tool}: control socket: ${err.message}\n`);
  process.exit(99);
});
socket.on('connect', () => socket.write(`${JSON.stringify({ tool, args, pid: process.pid })}\n`));
let pending = '';
socket.on('data', (chunk) => {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const command = JSON.parse(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    // stdout and stderr are pipes: writes are synchronous on Linux, so exit never loses them
    if (typeof command.out === 'string') process.stdout.write(command.out);
    if (typeof command.err === 'string') process.stderr.write(command.err);
    if (command.ignoreTerm) {
      process.on('SIGTERM', () => undefined);
      socket.write(`${JSON.stringify({ ack: true })}\n`);
    }
    if (typeof command.exit === 'number') process.exit(command.exit);
  }
});
socket.on('close', () => process.exit(0));
