/**
 * The usual simulated hardware of one door, for the composition root (the demo site) and tests:
 * card reader, keypad, fingerprint reader, phone-key radio, lock, door contact, REX button and
 * reader LED, with ids derived from the door id (`lobby-card`, `lobby-fp`, `lobby-lock`, ...).
 * The fingerprint reader's readerId is `<doorId>-fp`, the id fingerprint credentials name. A site
 * has one fire input shared by its doors: createSimFireInput().
 */
import type { Logger } from 'pino';
import type { Clock } from '../../kernel/clock.js';
import type { CredentialReader, DoorActuator, DoorSensor, Indicator } from '../types.js';
import { SimActuator } from './simActuator.js';
import { SimCardReader } from './simCardReader.js';
import { SimDoorContact } from './simDoorContact.js';
import { SimFingerprintReader } from './simFingerprintReader.js';
import { SimFireInput } from './simFireInput.js';
import { SimIndicator } from './simIndicator.js';
import { SimKeypad } from './simKeypad.js';
import { SimMobileReader } from './simMobileReader.js';
import { SimRexButton } from './simRexButton.js';

export interface SimDoorOptions {
  logger?: Logger;
  /** a fail-safe lock (maglock); default fail-secure */
  failSafe?: boolean;
  /** the keypad sends each press() as one burst; default one event per key */
  keypadBurst?: boolean;
  /** the door is open at power-up; default closed */
  doorOpen?: boolean;
  recordLimit?: number;
}

export interface SimDoor {
  doorId: string;
  cardReader: SimCardReader;
  keypad: SimKeypad;
  fingerprintReader: SimFingerprintReader;
  mobileReader: SimMobileReader;
  actuator: SimActuator;
  contact: SimDoorContact;
  rex: SimRexButton;
  indicator: SimIndicator;
  /** the four credential readers, in the order above */
  readers: readonly CredentialReader[];
  /** every device of the door, to start and stop together */
  devices: readonly (CredentialReader | DoorActuator | DoorSensor | Indicator)[];
}

/** Builds the devices; starts nothing. */
export function createSimDoor(doorId: string, clock: Clock, options: SimDoorOptions = {}): SimDoor {
  const { logger, recordLimit } = options;
  const common = (suffix: string) => ({ id: `${doorId}-${suffix}`, clock, logger, recordLimit });
  const cardReader = new SimCardReader(common('card'));
  const keypad = new SimKeypad({ ...common('keypad'), burst: options.keypadBurst ?? false });
  const fingerprintReader = new SimFingerprintReader({ ...common('fp'), readerId: `${doorId}-fp` });
  const mobileReader = new SimMobileReader(common('mobile'));
  const actuator = new SimActuator({ ...common('lock'), failSafe: options.failSafe ?? false });
  const contact = new SimDoorContact({ ...common('contact'), initial: options.doorOpen ?? false });
  const rex = new SimRexButton(common('rex'));
  const indicator = new SimIndicator(common('led'));
  const readers = [cardReader, keypad, fingerprintReader, mobileReader];
  return {
    doorId, cardReader, keypad, fingerprintReader, mobileReader, actuator, contact, rex, indicator,
    readers,
    devices: [...readers, actuator, contact, rex, indicator],
  };
}

export interface SimFireInputOptions {
  /** default 'fire' */
  id?: string;
  logger?: Logger;
  /** the alarm is active at power-up; default false */
  alarm?: boolean;
  recordLimit?: number;
}

/** The site's fire/egress input, shared by every door. Starts nothing. */
export function createSimFireInput(clock: Clock, options: SimFireInputOptions = {}): SimFireInput {
  const { logger, recordLimit } = options;
  return new SimFireInput({ id: options.id ?? 'fire', clock, logger, recordLimit, initial: options.alarm ?? false });
}
