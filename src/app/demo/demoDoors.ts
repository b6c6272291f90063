/** How the demo site's doors behave (their devices are simulated). */
import type { DoorBehaviourInput } from '../../doors/doorConfig.js';

export const DEMO_DOORS: readonly DoorBehaviourInput[] = [
  { id: 'lobby', hardware: 'sim' },
  // the garage stands open in business hours once a staff member has come in
  { id: 'garage', hardware: 'sim', passage: { scheduleId: 'business-hours', firstPersonIn: true } },
  { id: 'server-room', hardware: 'sim', unlockMs: 3_000, fireRelease: false },
  { id: 'gym', hardware: 'sim' },
  { id: 'pool', hardware: 'sim', failSafe: true },
];
