/** Simulated devices: the demo site's hardware, and the devices tests and the control socket drive. */
export { Recording } from './recording.js';
export { SimDevice, type SimDelivery, type SimDeviceOptions } from './simDevice.js';
export { SimReader, type ReaderRecord } from './simReader.js';
export { SimCardReader } from './simCardReader.js';
export { SimKeypad, MAX_KEYS_PER_PRESS, type SimKeypadOptions } from './simKeypad.js';
export { SimFingerprintReader, MAX_FINGERPRINT_SLOT, type SimFingerprintReaderOptions } from './simFingerprintReader.js';
export { SimMobileReader } from './simMobileReader.js';
export { SimActuator, MAX_UNLOCK_MS, type ActuatorCommand, type ActuatorRecord, type SimActuatorOptions, type SimFailureCode } from './simActuator.js';
export { SimSensor, LEVEL_NAMES, type SensorRecord, type SimSensorOptions } from './simSensor.js';
export { SimDoorContact } from './simDoorContact.js';
export { SimRexButton } from './simRexButton.js';
export { SimFireInput } from './simFireInput.js';
export { SimIndicator, INDICATOR_PATTERNS, type IndicatorRecord } from './simIndicator.js';
export { createSimDoor, createSimFireInput, type SimDoor, type SimDoorOptions, type SimFireInputOptions } from './simDoor.js';
