/** Sends one request to a running daemon's control socket and returns its response. */
import { createConnection } from 'node:net';
import type { ControlRequest, ControlResponse } from '../wire/controlProtocol.js';
import { GatewayError } from '../kernel/gatewayError.js';

export function sendControl(path: string, request: ControlRequest): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) return;
      socket.end();
      try {
        resolve(JSON.parse(buffer.slice(0, newline)) as ControlResponse);
      } catch (err) {
        reject(new GatewayError('INPUT_INVALID', `the daemon answered something that is not JSON: ${(err as Error).message}`));
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      const missing = err.code === 'ENOENT' || err.code === 'ECONNREFUSED';
      reject(new GatewayError('NOT_STARTED', missing ? `no lockgw daemon is listening on ${path}` : `cannot reach ${path}: ${err.message}`, {
        hint: missing ? 'start it with npm start (or systemctl start lockgw), with the same --config' : 'check the socket permissions (mode 0660, group lockgw)',
      }));
    });
  });
}
