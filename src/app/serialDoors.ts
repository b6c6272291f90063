/**
 * Builds the serial doors' devices from the config: one SerialLink per bus; Wiegand bridges
 * expose a reader and an indicator per port, relay boards an actuator per channel, fingerprint
 * sensors a reader. Nothing is opened here: each device opens its bus when it starts.
 */
import type { Logger } from 'pino';
import { R30xSensor } from '../hal/serial/fingerprint/r30xSensor.js';
import { ModbusRelayBoard } from '../hal/serial/relay/modbusRelayBoard.js';
import { RelayBoard } from '../hal/serial/relay/relayBoard.js';
import { SerialLink, type SerialBinding } from '../hal/serial/serialLink.js';
import { WiegandBridge } from '../hal/serial/wiegand/wiegandBridge.js';
import type { CredentialReader } from '../hal/types.js';
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

export function buildSerialDoors(serial: SerialConfig, doors: readonly DoorBehaviour[], deps: SerialDeps): DoorHardware[] {
  const { clock, logger, binding } = deps;
  const link = (path: string, baudRate: number) => new SerialLink({ path, baudRate, clock, logger, binding });
  const serialDoors = doors.filter((d) => d.hardware === 'serial');

  const bridges = new Map(
    serial.wiegandBridges.map((b) => [
      b.id,
      new WiegandBridge({
        id: b.id, link: link(b.path, b.baudRate), path: b.path, clock, logger, heartbeatTimeoutMs: b.heartbeatTimeoutMs,
        rawLengths: b.rawLengths, formats: b.formats,
        ports: serialDoors.filter((d) => d.serial!.reader.bridge === b.id).map((d) => ({ port: d.serial!.reader.port, readerId: `${d.id}-reader`, indicatorId: `${d.id}-led` })),
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
  const sensorFor = (id: string): R30xSensor => {
    let sensor = sensors.get(id);
    if (sensor) throw new GatewayError('CONFIG_INVALID', `fingerprint sensor ${id} is used by two doors`, { field: 'doors', id });
    const c = serial.fingerprintSensors.find((s) => s.id === id)!;
    sensor = new R30xSensor({ id, link: link(c.path, c.baudRate), clock, logger, password: c.password, matchThreshold: c.matchThreshold });
    sensors.set(id, sensor);
    return sensor;
  };

  return serialDoors.map((behaviour) => {
    const { reader: at, actuator: relay, fingerprint } = behaviour.serial!;
    const bridge = bridges.get(at.bridge)!;
    const reader = bridge.reader(at.port);
    const indicator = bridge.indicator(at.port);
    const actuator = boards.get(relay.board)!.actuator(relay.channel, { id: `${behaviour.id}-lock`, failSafe: behaviour.failSafe });
    const readers: CredentialReader[] = [reader];
    if (fingerprint !== undefined) readers.push(sensorFor(fingerprint));
    return { behaviour, devices: { readers, actuator, indicator }, all: [...readers, actuator, indicator] };
  });
}
