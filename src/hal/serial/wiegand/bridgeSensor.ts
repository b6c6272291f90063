/**
 * A door input of a Wiegand bridge port (contact, REX or aux) as a DoorSensor (src/hal/types.ts).
 * It holds no I/O: the bridge keeps the state last reported for each input (bridgeInputs.ts)
 * and calls sync() when it or the bridge's health changed. The sensor turns that state into a
 * level (inputReading.ts) and tells its listeners, in this order:
 *  - `wiringFault` when a supervised loop becomes cut or short, changes between the two, or is
 *    sound again (null);
 *  - `health`: the bridge's while the bridge is offline; otherwise degraded while the loop is
 *    faulted or the bridge reports the input in the other mode; otherwise the bridge's;
 *  - `change` when a known level differs from the last one its listeners heard — so the first
 *    level known after start is always emitted, and a reconnect or a fault that ends with the
 *    level unchanged emits nothing.
 * value() is undefined while not started, while the bridge is offline, before the first report
 * since the bridge last started talking, and while the loop is faulted. Stopping forgets what
 * the listeners heard and the fault.
 */
import type { DoorSensor, Health, HealthState, SensorEvents, SensorFault, SensorInput } from '../../types.js';
import type { BridgeInputLine } from './bridgeLine.js';
import { BridgePortDevice, type PortHost } from './bridgePort.js';
import { LINE_NAMES, readInput, type InputReading } from './inputReading.js';
import type { BridgeInputOptions } from './wiegandBridgeOptions.js';

export class BridgeSensor extends BridgePortDevice<SensorEvents> implements DoorSensor {
  readonly kind = 'sensor';
  readonly input: SensorInput;
  private fault: SensorFault | null = null;
  /** the level the listeners last heard in a `change` since start */
  private reported: boolean | undefined;

  constructor(
    readonly line: BridgeInputLine,
    private readonly options: BridgeInputOptions,
    port: number,
    host: PortHost,
  ) {
    super(options.sensorId, port, host);
    this.input = options.input;
  }

  value(): boolean | undefined {
    const reading = this.started ? this.reading() : undefined;
    return reading?.kind === 'level' ? reading.active : undefined;
  }

  wiringFault(): SensorFault | null {
    return this.fault;
  }

  override async stop(): Promise<void> {
    if (!this.started) return;
    this.fault = null;
    this.reported = undefined;
    await super.stop();
  }

  /** @internal the bridge's health or this input's state changed */
  override sync(): void {
    if (!this.started) return;
    const reading = this.reading();
    const fault = reading?.kind === 'fault' ? reading.fault : reading?.kind === 'level' ? null : this.fault;
    if (fault !== this.fault) {
      this.fault = fault;
      this.emitGuarded('wiringFault', fault);
    }
    const [state, reason, since] = this.shownHealth();
    this.setHealth(state, reason, since);
    if (reading?.kind === 'level' && reading.active !== this.reported) {
      this.reported = reading.active;
      this.emitGuarded('change', this.input, reading.active);
    }
  }

  /** what the bridge last reported, read under this input's configuration; undefined while unknown */
  private reading(): InputReading | undefined {
    if (this.host.health().state === 'offline') return undefined;
    const state = this.host.inputState(this.port, this.line);
    return state === undefined ? undefined : readInput(this.line, this.options, state);
  }

  private shownHealth(): [HealthState, string, number?] {
    const bridge: Health = this.host.health();
    const where = `on bridge ${this.host.bridgeId} port ${this.port}`;
    const name = LINE_NAMES[this.line];
    if (bridge.state === 'offline') return [bridge.state, bridge.reason, bridge.since];
    if (this.fault) return ['degraded', `the ${name} loop ${where} is ${this.fault === 'cut' ? 'cut' : 'short-circuited'}: check the wiring`];
    if (this.host.wrongMode(this.port, this.line)) {
      const [configured, reported] = this.options.supervised === true ? ['supervised', 'open/closed'] : ['unsupervised', 'supervised (normal/active/cut/short)'];
      return ['degraded', `the ${name} ${where} is configured ${configured} but the bridge reports ${reported} states: make the bridge's input setting and the gateway's match`];
    }
    return [bridge.state, bridge.reason, bridge.since];
  }
}
