/**
 * The control socket's CommissioningTarget (control/commissioningTarget.ts) over the running
 * gateway: the journal's watch, the doors' devices and controllers, and the R30x sensors. The
 * parts are read on every call (a gateway that restarted on a recovered database has new ones).
 */
import type { CommissioningTarget, DeviceHealth, EnrolStep, HealthChange, InputLevel } from '../control/commissioningTarget.js';
import type { DoorController } from '../doors/doorController.js';
import type { DoorDevices } from '../doors/doorDevices.js';
import type { SiteDoors } from '../doors/siteDoors.js';
import type { R30xSensor } from '../hal/serial/fingerprint/r30xSensor.js';
import type { DoorSensor, Health, SensorFault, SensorInput } from '../hal/types.js';
import type { Journal } from '../journal/journal.js';
import type { Clock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { ControlCaller } from '../wire/controlProtocol.js';

/** a door test's strike pulse: long enough to hear and to push the door, short enough to be safe */
export const TEST_PULSE_MS = 2_000;

export interface CommissioningParts {
  doors: SiteDoors;
  journal: Journal;
  fingerprints: ReadonlyMap<string, R30xSensor>;
}

/** what a door test and a watch need of any device */
interface HealthSource {
  readonly id: string;
  health(): Health;
  on(event: 'health', listener: (health: Health) => void): unknown;
  off(event: 'health', listener: (health: Health) => void): unknown;
}

function deviceList(devices: DoorDevices): HealthSource[] {
  const all: (HealthSource | undefined)[] = [...devices.readers, devices.actuator, devices.contact, devices.rex, devices.indicator];
  return all.filter((d): d is HealthSource => d !== undefined);
}

export function doorCommissioning(parts: () => CommissioningParts, clock: Clock): CommissioningTarget {
  const devicesOf = (doorId: string): DoorDevices => {
    const devices = parts().doors.devicesOf(doorId);
    if (!devices) throw new GatewayError('NOT_FOUND', `door ${doorId} does not exist on this gateway`, { entity: 'door', id: doorId, field: 'door' });
    return devices;
  };
  const controller = (doorId: string): DoorController => {
    devicesOf(doorId);
    const door = parts().doors.get(doorId);
    if (!door) throw new GatewayError('UNAVAILABLE', `door ${doorId} is not running`, { id: doorId });
    return door;
  };
  const sensorOf = (doorId: string): R30xSensor => {
    devicesOf(doorId);
    const sensor = parts().fingerprints.get(doorId);
    if (!sensor) throw new GatewayError('UNAVAILABLE', `door ${doorId} has no R30x fingerprint sensor (serial.fingerprintSensors, and the door's serial.fingerprint)`, { id: doorId, field: 'door' });
    return sensor;
  };
  const operator = (caller: ControlCaller) => ({ uid: caller.uid, user: caller.user });

  return {
    watchEvents: (listener) => parts().journal.watch(listener),

    watchHealth: (listener) => {
      const { doors } = parts();
      const offs: (() => void)[] = [];
      const watch = (device: HealthSource, doorId: string | null) => {
        const onHealth = (health: Health) => listener({ device: device.id, doorId, health } satisfies HealthChange);
        device.on('health', onHealth);
        offs.push(() => device.off('health', onHealth));
      };
      for (const { doorId } of doors.status()) for (const device of deviceList(doors.devicesOf(doorId)!)) watch(device, doorId);
      if (doors.fireSensor) watch(doors.fireSensor, null);
      return () => offs.splice(0).forEach((off) => off());
    },

    testPulse: (doorId, caller, force) => ({ ...controller(doorId).testPulse(TEST_PULSE_MS, operator(caller), force), ms: TEST_PULSE_MS }),

    showPattern: (doorId, pattern) => controller(doorId).showPattern(pattern),

    restorePattern: (doorId) => parts().doors.get(doorId)?.restorePattern(),

    deviceHealth: (doorId) => {
      const all: DeviceHealth[] = deviceList(devicesOf(doorId)).map((d) => ({ device: d.id, health: d.health() }));
      const fire = parts().doors.fireSensor;
      if (fire) all.push({ device: fire.id, health: fire.health() });
      return all;
    },

    watchInputs: (doorId, listener) => {
      const { contact, rex } = devicesOf(doorId);
      const sensors = [contact, rex, parts().doors.fireSensor].filter((s): s is DoorSensor => s !== undefined && s !== null);
      const level = (input: SensorInput, value: boolean | undefined): InputLevel => ({ input, value: value ?? null, at: clock.now() });
      const offs = sensors.map((sensor) => {
        const onChange = (input: SensorInput, value: boolean) => listener(level(input, value));
        const onFault = (fault: SensorFault | null) => fault && listener(level(sensor.input, undefined));
        sensor.on('change', onChange);
        sensor.on('wiringFault', onFault);
        return () => {
          sensor.off('change', onChange);
          sensor.off('wiringFault', onFault);
        };
      });
      return { levels: sensors.map((s) => level(s.input, s.value())), stop: () => offs.splice(0).forEach((off) => off()) };
    },

    learn: (doorId, forMs, caller, report) => controller(doorId).startLearning(forMs, operator(caller), report),

    enrollFingerprint: async (doorId, slot, caller, step) => {
      const sensor = sensorOf(doorId);
      const onStep = (s: EnrolStep, at: number) => at === slot && step(s);
      sensor.diagnostics.on('enroll', onStep);
      try {
        await sensor.enroll(slot);
      } finally {
        sensor.diagnostics.off('enroll', onStep);
      }
      parts().journal.append({ type: 'security', at: clock.now(), doorId, reason: 'fingerprint_enrolled', data: { reader: sensor.id, slot, uid: caller.uid, user: caller.user } });
    },

    deleteFingerprint: async (doorId, slot, caller) => {
      const sensor = sensorOf(doorId);
      await sensor.deleteSlot(slot);
      parts().journal.append({ type: 'security', at: clock.now(), doorId, reason: 'fingerprint_deleted', data: { reader: sensor.id, slot, uid: caller.uid, user: caller.user } });
    },
  };
}
