/**
 * Builds the serial doors' devices from the config: one SerialLink per bus; Wiegand bridges
 * expose a reader and an indicator per port and the door inputs wired to them (contact, REX,
 * aux), relay boards an actuator per channel, fingerprint sensors a reader. Doors of any
 * hardware may have their inputs on a bridge; the site's fire input may be on one too. Nothing
 * is opened here: each device opens its bus when it starts.
 */
import type { Logger } from 'pino';
import { R30xSensor } from '../hal/serial/fingerprint/r30xSensor.js';
import { ModbusRelayBoard } from '../hal/serial/relay/modbusRelayBoard.js';
import { RelayBoard } from '../hal/serial/relay/relayBoard.js';
import { SerialLink, type SerialBinding } from '../hal/serial/serialLink.js';
import { WiegandBridge } from '../hal/serial/wiegand/wiegandBridge.js';
import type { CredentialReader, DoorSensor, Health } from '../hal/types.js';
import type { WiegandPortConfig } from '../hal/serial/wiegand/wiegandBridgeOptions.js';
import { bridgeLine, isBridgeWiring, SENSOR_INPUT, type BridgeInputWiring, type FireConfig } from '../doors/inputWiringConfig.js';
import type { Clock } from '../kernel/clock.js';
import type { DoorBehaviour } from '../doors/doorConfig.js';
import type { DoorHardware } from '../doors/siteDoors.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { SerialConfig } from '../hal/serial/serialConfig.js';

export interface SerialDeps {
  clock: Clock;
  logger: Logger;
  /** how buses are reached; default the platform binding. Tests pass SerialPortMock.binding */
  binding?: SerialBinding;
}

/** A door input or the fire input, by the role it is wired for. */
type InputRole = 'contact' | 'rex' | 'fire';

interface WiredInput {
  wiring: BridgeInputWiring;
  role: InputRole;
  sensorId: string;
}

/** The sensor id of a door's input, and of the site's fire input. */
export function inputSensorId(doorId: string | null, role: InputRole): string {
  return doorId === null ? 'fire-input' : `${doorId}-${role}`;
}

/** Every input wired to a bridge: the doors' contacts and REX buttons, and the fire input. */
function bridgeInputs(doors: readonly DoorBehaviour[], fire: FireConfig | undefined): WiredInput[] {
  const wired: WiredInput[] = [];
  for (const d of doors) {
    for (const role of ['contact', 'rex'] as const) {
      const wiring = d.inputs?.[role];
      if (wiring && isBridgeWiring(wiring)) wired.push({ wiring, role, sensorId: inputSensorId(d.id, role) });
    }
  }
  if (fire && isBridgeWiring(fire.input)) wired.push({ wiring: fire.input, role: 'fire', sensorId: inputSensorId(null, 'fire') });
  return wired;
}

/** A bridge's ports: the serial doors' reader ports and every port an input is wired to. */
function portsOf(bridgeId: string, serialDoors: readonly DoorBehaviour[], inputs: readonly WiredInput[]): WiegandPortConfig[] {
  const ports = new Map<number, WiegandPortConfig>();
  const port = (n: number, readerId: string, indicatorId?: string): WiegandPortConfig => {
    let p = ports.get(n);
    if (!p) ports.set(n, (p = { port: n, readerId, ...(indicatorId ? { indicatorId } : {}) }));
    return p;
  };
  // readers first: a port that only carries inputs gets a reader nobody listens to
  for (const d of serialDoors) if (d.serial!.reader.bridge === bridgeId) port(d.serial!.reader.port, `${d.id}-reader`, `${d.id}-led`);
  for (const i of inputs) {
    if (i.wiring.bridge !== bridgeId) continue;
    const p = port(i.wiring.port, `${bridgeId}-port${i.wiring.port}-reader`);
    const line = bridgeLine(i.wiring, i.role);
    p.inputs = { ...p.inputs, [line]: { sensorId: i.sensorId, input: SENSOR_INPUT[i.role], supervised: i.wiring.supervised, ...(i.wiring.activeWhen ? { activeWhen: i.wiring.activeWhen } : {}) } };
  }
  return [...ports.values()];
}

/** One serial device link as `lockgw doctor` reports it: its health and, for a bridge, its firmware. */
export interface SerialLinkReport {
  id: string;
  kind: 'wiegand-bridge' | 'relay-board' | 'fingerprint-sensor';
  path: string;
  health: Health;
  /** the bridge's firmware version (its answer to Q), null until it has answered or for other kinds */
  firmware: string | null;
}

export interface SerialHardware {
  /** every serial link the doors use, for the doctor */
  links(): SerialLinkReport[];
  /** the doors with hardware: serial */
  doors: DoorHardware[];
  /** a door's contact and REX wired to a bridge (any hardware) */
  inputsOf(doorId: string): { contact?: DoorSensor; rex?: DoorSensor };
  /** the fire input, when it is wired to a bridge */
  fire: DoorSensor | null;
  /** each door's R30x sensor, by door id (fingerprint enrolment) */
  fingerprints: ReadonlyMap<string, R30xSensor>;
}

export function buildSerialDoors(serial: SerialConfig, doors: readonly DoorBehaviour[], deps: SerialDeps, fire?: FireConfig): SerialHardware {
  const { clock, logger, binding } = deps;
  const link = (path: string, baudRate: number) => new SerialLink({ path, baudRate, clock, logger, binding });
  const serialDoors = doors.filter((d) => d.hardware === 'serial');
  const inputs = bridgeInputs(doors, fire);
  const usedBridges = new Set([...serialDoors.map((d) => d.serial!.reader.bridge), ...inputs.map((i) => i.wiring.bridge)]);

  const bridges = new Map(
    serial.wiegandBridges.filter((b) => usedBridges.has(b.id)).map((b) => [
      b.id,
      new WiegandBridge({
        id: b.id, link: link(b.path, b.baudRate), path: b.path, clock, logger, heartbeatTimeoutMs: b.heartbeatTimeoutMs,
        rawLengths: b.rawLengths, formats: b.formats,
        ports: portsOf(b.id, serialDoors, inputs),
      }),
    ]),
  );
  const boards = new Map(
    serial.relayBoards.map((r) => {
      const common = { id: r.id, link: link(r.path, r.baudRate), clock, logger, channels: r.channels, refreshMs: r.refreshMs };
      const board = r.protocol === 'waveshare-modbus'
        ? new ModbusRelayBoard({ ...common, ...(r.unit !== undefined && { unit: r.unit }), ...(r.keepaliveMs !== undefined && { keepaliveMs: r.keepaliveMs }), ...(r.answerTimeoutMs !== undefined && { answerTimeoutMs: r.answerTimeoutMs }) })
        : new RelayBoard(common);
      return [r.id, board];
    }),
  );
  const sensors = new Map<string, R30xSensor>();
  const fingerprints = new Map<string, R30xSensor>();
  const sensorFor = (id: string): R30xSensor => {
    let sensor = sensors.get(id);
    if (sensor) throw new GatewayError('CONFIG_INVALID', `fingerprint sensor ${id} is used by two doors`, { field: 'doors', id });
    const c = serial.fingerprintSensors.find((s) => s.id === id)!;
    sensor = new R30xSensor({ id, link: link(c.path, c.baudRate), clock, logger, password: c.password, matchThreshold: c.matchThreshold });
    sensors.set(id, sensor);
    return sensor;
  };

  const sensor = (i: WiredInput): DoorSensor => bridges.get(i.wiring.bridge)!.sensor(i.wiring.port, bridgeLine(i.wiring, i.role));
  const inputsOf = (doorId: string): { contact?: DoorSensor; rex?: DoorSensor } => {
    const found: { contact?: DoorSensor; rex?: DoorSensor } = {};
    for (const i of inputs) if (i.role !== 'fire' && i.sensorId === inputSensorId(doorId, i.role)) found[i.role] = sensor(i);
    return found;
  };
  const fireWired = inputs.find((i) => i.role === 'fire');

  const built = serialDoors.map((behaviour): DoorHardware => {
    const { reader: at, actuator: relay, fingerprint } = behaviour.serial!;
    const bridge = bridges.get(at.bridge)!;
    const reader = bridge.reader(at.port);
    const indicator = bridge.indicator(at.port);
    const actuator = boards.get(relay.board)!.actuator(relay.channel, { id: `${behaviour.id}-lock`, failSafe: behaviour.failSafe });
    const readers: CredentialReader[] = [reader];
    if (fingerprint !== undefined) {
      const sensor = sensorFor(fingerprint);
      fingerprints.set(behaviour.id, sensor);
      readers.push(sensor);
    }
    const { contact, rex } = inputsOf(behaviour.id);
    const sensors = [contact, rex].filter((x): x is DoorSensor => x !== undefined);
    return { behaviour, devices: { readers, actuator, indicator, contact, rex }, all: [...readers, actuator, indicator, ...sensors] };
  });
  const pathOf = (list: readonly { id: string; path: string }[], id: string) => list.find((c) => c.id === id)?.path ?? '';
  const links = (): SerialLinkReport[] => [
    ...[...bridges].map(([id, b]): SerialLinkReport => ({ id, kind: 'wiegand-bridge', path: pathOf(serial.wiegandBridges, id), health: b.health(), firmware: b.stats().firmware })),
    ...[...boards].map(([id, b]): SerialLinkReport => ({ id, kind: 'relay-board', path: pathOf(serial.relayBoards, id), health: b.health(), firmware: null })),
    ...[...sensors].map(([id, s]): SerialLinkReport => ({ id, kind: 'fingerprint-sensor', path: pathOf(serial.fingerprintSensors, id), health: s.health(), firmware: null })),
  ];
  return { doors: built, links, inputsOf, fire: fireWired ? sensor(fireWired) : null, fingerprints };
}
