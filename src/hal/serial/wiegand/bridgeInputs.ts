/**
 * The door inputs of one Wiegand bridge: the state the bridge last reported for each configured
 * input (`I` lines) and the sensors that show them (bridgeSensor.ts). A state is kept only while
 * the bridge is talking: `forget()` when the link (re)opens, the bridge goes silent or restarts,
 * so an input not heard about since then is unknown. A state of the other mode than the one
 * configured is refused (`input_mode`), changes nothing, and marks the input until a state of
 * the configured mode arrives.
 */
import { GatewayError } from '../../../kernel/gatewayError.js';
import type { BridgeInputLine, BridgeInputState } from './bridgeLine.js';
import type { PortHost } from './bridgePort.js';
import { BridgeSensor } from './bridgeSensor.js';
import { readInput } from './inputReading.js';
import type { BridgeInputOptions, WiegandPortConfig } from './wiegandBridgeOptions.js';

export type InputOutcome = 'applied' | 'unconfigured_input' | 'input_mode';

const key = (port: number, line: BridgeInputLine) => `${port}:${line}`;

export class BridgeInputs {
  private readonly states = new Map<string, BridgeInputState>();
  private readonly wrong = new Set<string>();
  private readonly sensors = new Map<string, BridgeSensor>();

  constructor(
    private readonly bridgeId: string,
    private readonly ports: readonly WiegandPortConfig[],
    private readonly host: PortHost,
  ) {}

  /** whether any port has a door input configured (only then does the gateway send S) */
  any(): boolean {
    return this.ports.some((p) => Object.values(p.inputs ?? {}).some((i) => i !== undefined));
  }

  /** The DoorSensor of a configured input (the same object on every call); CONFIG_INVALID otherwise. */
  sensor(port: number, line: BridgeInputLine): BridgeSensor {
    const options = this.options(port, line);
    if (!options) {
      throw new GatewayError('CONFIG_INVALID', `the ${String(line)} input of port ${port} is not configured on the Wiegand bridge ${this.bridgeId}`, { field: 'ports.inputs' });
    }
    let sensor = this.sensors.get(key(port, line));
    if (!sensor) this.sensors.set(key(port, line), (sensor = new BridgeSensor(line, options, port, this.host)));
    return sensor;
  }

  devices(): BridgeSensor[] {
    return [...this.sensors.values()];
  }

  state(port: number, line: BridgeInputLine): BridgeInputState | undefined {
    return this.states.get(key(port, line));
  }

  wrongMode(port: number, line: BridgeInputLine): boolean {
    return this.wrong.has(key(port, line));
  }

  /** An I line for a configured port: kept and shown, or refused with the reason. */
  apply(port: number, line: BridgeInputLine, state: BridgeInputState): InputOutcome {
    const options = this.options(port, line);
    if (!options) return 'unconfigured_input';
    const k = key(port, line);
    const refused = readInput(line, options, state).kind === 'wrong_mode';
    if (refused) this.wrong.add(k);
    else {
      this.wrong.delete(k);
      this.states.set(k, state);
    }
    this.sensors.get(k)?.sync();
    return refused ? 'input_mode' : 'applied';
  }

  /** Every input is unknown again (the sensors are told). */
  forget(): void {
    if (this.states.size === 0) return;
    this.states.clear();
    for (const sensor of this.sensors.values()) sensor.sync();
  }

  /** The bridge stopped: forget the states and the mode marks. */
  reset(): void {
    this.wrong.clear();
    this.forget();
  }

  private options(port: number, line: BridgeInputLine): BridgeInputOptions | undefined {
    const inputs = this.ports.find((p) => p.port === port)?.inputs;
    return inputs && Object.hasOwn(inputs, line) ? inputs[line] : undefined;
  }
}
