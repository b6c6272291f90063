/** Gateway ids a box must never keep: the shipped placeholders and the demo's, which two boxes would share. */
import { GatewayError } from '../../kernel/gatewayError.js';

const PLACEHOLDER = /change[-_.]?me|placeholder|example|^gw-(local|demo|test)$/i;

export function refusePlaceholderId(id: string): void {
  if (PLACEHOLDER.test(id)) {
    throw new GatewayError('INPUT_INVALID', `gateway id "${id}" is a placeholder: every gateway needs its own (it is its MQTT client id and topic)`, {
      field: 'gateway-id',
      hint: 'give one: lockgw provision --gateway-id gw-<site>-<n>',
    });
  }
}
