/**
 * The doors of the site: one DoorController per configured door, its devices, and the fire
 * input they share. Starts devices before controllers, stops controllers before devices (so the
 * last thing a stop does is return every actuator to its unpowered state).
 */
import type { Logger } from 'pino';
import type { Device, DoorSensor } from '../hal/types.js';

/** What SiteDoors needs of every device: its id and its lifecycle. */
export type DeviceLifecycle = Pick<Device, 'id' | 'start' | 'stop'>;
import { DoorController, type DoorContext, type DoorStatus } from './doorController.js';
import type { DoorDevices } from './doorDevices.js';
import type { DoorBehaviour } from './doorConfig.js';
import { FireRelease } from './fireRelease.js';

export interface DoorHardware {
  behaviour: DoorBehaviour;
  devices: DoorDevices;
  /** every device of the door, started and stopped with it */
  all: readonly DeviceLifecycle[];
}

export class SiteDoors {
  private readonly controllers = new Map<string, DoorController>();
  private readonly log: Logger;
  private fire: FireRelease | null = null;

  constructor(
    private readonly doors: readonly DoorHardware[],
    private readonly fireInput: DoorSensor | null,
    private readonly ctx: DoorContext,
    /** what a cut or shorted fire loop does (config `fire.onFault`) */
    private readonly fireOnFault: 'release' | 'hold' = 'release',
  ) {
    this.log = ctx.logger.child({ module: 'doors' });
  }

  async start(): Promise<void> {
    for (const door of this.doors) {
      for (const device of door.all) {
        try {
          await device.start();
        } catch (err) {
          // a device that cannot start is reported by its door's health; the door stays as it is
          this.log.error({ err, device: device.id, door: door.behaviour.id }, 'device failed to start');
        }
      }
      const controller = new DoorController(door.behaviour, door.devices, this.ctx);
      this.controllers.set(door.behaviour.id, controller);
      await controller.start();
    }
    if (this.fireInput) {
      try {
        await this.fireInput.start();
      } catch (err) {
        this.log.error({ err, device: this.fireInput.id }, 'the fire input failed to start');
      }
      this.fire = new FireRelease({ input: this.fireInput, onFault: this.fireOnFault, setFire: (active) => this.setFire(active), record: (e) => this.ctx.record(e), logger: this.ctx.logger });
      this.fire.start();
    }
  }

  async stop(): Promise<void> {
    this.fire?.stop();
    this.fire = null;
    for (const controller of this.controllers.values()) await controller.stop();
    for (const door of this.doors) {
      for (const device of [...door.all].reverse()) {
        try {
          await device.stop();
        } catch (err) {
          this.log.error({ err, device: device.id }, 'device failed to stop');
        }
      }
    }
    if (this.fireInput) await this.fireInput.stop();
    this.controllers.clear();
  }

  get(doorId: string): DoorController | undefined {
    return this.controllers.get(doorId);
  }

  /** A door's devices, for commissioning (health, live inputs); undefined for a door the site does not run. */
  devicesOf(doorId: string): DoorDevices | undefined {
    return this.doors.find((d) => d.behaviour.id === doorId)?.devices;
  }

  /** the site's fire input, when it has one */
  get fireSensor(): DoorSensor | null {
    return this.fireInput;
  }

  status(): DoorStatus[] {
    return [...this.controllers.values()].map((c) => c.status());
  }

  /** The fire input's state, when the site has one. */
  fireState(): ReturnType<FireRelease['state']> | null {
    return this.fire?.state() ?? null;
  }

  setFire(active: boolean): void {
    for (const c of this.controllers.values()) c.setFire(active);
  }

  refreshRules(): void {
    for (const c of this.controllers.values()) c.refreshRules();
  }
}
