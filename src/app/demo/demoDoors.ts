/** How the demo site's doors behave (their devices are simulated). */
import type { DoorBehaviourInput } from '../../doors/doorConfig.js';

// every door but the pool takes phone keys once a radio is configured (ble.phoneKeys)
export const DEMO_DOORS: readonly DoorBehaviourInput[] = [
  { id: 'lobby', hardware: 'sim', ble: { phoneKey: true } },
  // the garage stands open in business hours once a staff member has come in
  { id: 'garage', hardware: 'sim', passage: { scheduleId: 'business-hours', firstPersonIn: true }, ble: { phoneKey: true } },
  { id: 'server-room', hardware: 'sim', unlockMs: 3_000, fireRelease: false, ble: { phoneKey: true } },
  { id: 'gym', hardware: 'sim', ble: { phoneKey: true } },
  { id: 'pool', hardware: 'sim', failSafe: true },
];
