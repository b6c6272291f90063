/**
 * The demo site seeded on first start: a small apartment building with every kind of door,
 * schedule, key, person and credential, so a newcomer can ask for real decisions at once.
 * Validity windows are relative to `now` so the demo never goes stale.
 *
 * Demo credentials (documented in the README):
 *   alice  resident  card 26:12:34567, PIN 1234
 *   bob    resident  card 26:12:40001 — his lease ended 10 days ago (EXPIRED)
 *   carol  staff     card 26:12:1001 + PIN 4321 (card+PIN at the server room), duress PIN 9111
 *   dave   vendor    fingerprint lobby-fp:3 (cleaning, nights only)
 *   erin   guest of alice, phone key erin-phone (arrived yesterday, leaves in 3 days)
 *   frank  delivery  one-time PIN 5555
 *   grace  resident  card 26:12:50002 — moves in 30 days from now (UPCOMING)
 *   henry  resident  card 26:12:60003 — suspended
 */
const DAY = 86_400_000;

/**
 * The public half of the demo phone key (`lockgw phone-sim open --demo`): a well-known key, like
 * the demo site's PINs and cards. It exists only in the demo site, which a production gateway
 * does not seed (demo.seed: false).
 */
export const DEMO_PHONE_PUBLIC_KEY = 'MCowBQYDK2VwAyEAsELHr622GsCIeekhcaKxYBJCs81vINeN7+Gmhup+eRM=';

export function demoSiteBatch(now: number): unknown[] {
  const at = (days: number) => new Date(now + days * DAY).toISOString();
  const up = (entity: string, record: Record<string, unknown>) => ({ op: 'upsert', entity, record });
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'];
  const everyDay = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  return [
    up('site', { id: 'demo', name: 'Demo Apartments', timeZone: 'Europe/Berlin' }),
    up('door', { id: 'lobby', name: 'Lobby', place: 'Building A' }),
    up('door', { id: 'garage', name: 'Garage', place: 'Building A' }),
    up('door', { id: 'server-room', name: 'Server room', place: 'Building A', cardAndPin: true }),
    up('door', { id: 'gym', name: 'Gym', place: 'Amenities' }),
    up('door', { id: 'pool', name: 'Pool', place: 'Amenities' }),
    up('holiday', { date: '2026-12-25', type: 1, name: 'Christmas Day' }),
    up('holiday', { date: '2026-12-26', type: 1, name: 'Boxing Day' }),
    up('holiday', { date: '2027-01-01', type: 1, name: "New Year's Day" }),
    up('holiday', { date: '2027-04-05', type: 2, name: 'Easter Monday (reduced hours)' }),
    up('schedule', { id: 'business-hours', name: 'Business hours', intervals: [{ days: weekdays, start: '08:00', end: '18:00' }] }),
    up('schedule', {
      id: 'amenity-hours',
      name: 'Amenity hours',
      intervals: [
        { days: everyDay, start: '06:00', end: '22:00' },
        { holidayTypes: [1], start: '10:00', end: '16:00' },
        { holidayTypes: [2], start: '08:00', end: '20:00' },
      ],
    }),
    up('schedule', { id: 'cleaning-nights', name: 'Cleaning nights', intervals: [{ days: weekdays, start: '22:00', end: '06:00' }] }),
    up('schedule', { id: 'deliveries', name: 'Delivery window', intervals: [{ days: [...weekdays, 'sat'], start: '07:00', end: '21:00' }] }),
    up('key', {
      id: 'resident', name: 'Resident', mayShare: true,
      doors: [{ doorId: 'lobby' }, { doorId: 'garage' }, { doorId: 'gym', scheduleIds: ['amenity-hours'] }, { doorId: 'pool', scheduleIds: ['amenity-hours'] }],
    }),
    up('key', {
      id: 'staff', name: 'Staff',
      doors: ['lobby', 'garage', 'gym', 'pool', 'server-room'].map((doorId) => ({ doorId, scheduleIds: ['business-hours'] })),
    }),
    up('key', { id: 'cleaning', name: 'Cleaning crew', doors: [{ doorId: 'lobby', scheduleIds: ['cleaning-nights'] }, { doorId: 'gym', scheduleIds: ['cleaning-nights'] }] }),
    up('key', { id: 'deliveries', name: 'Deliveries', system: true, doors: [{ doorId: 'lobby', scheduleIds: ['deliveries'] }] }),
    up('key', { id: 'all-access', name: 'Default All-Access', system: true, doors: ['lobby', 'garage', 'gym', 'pool', 'server-room'].map((doorId) => ({ doorId })) }),
    up('person', { id: 'alice', name: 'Alice Resident', kind: 'resident' }),
    up('person', { id: 'bob', name: 'Bob Former-Tenant', kind: 'resident' }),
    up('person', { id: 'carol', name: 'Carol Manager', kind: 'staff' }),
    up('person', { id: 'dave', name: 'Dave Cleaner', kind: 'vendor' }),
    up('person', { id: 'erin', name: 'Erin Guest', kind: 'guest', hostId: 'alice' }),
    up('person', { id: 'frank', name: 'Frank Courier', kind: 'delivery' }),
    up('person', { id: 'grace', name: 'Grace Newcomer', kind: 'resident' }),
    up('person', { id: 'henry', name: 'Henry Suspended', kind: 'resident', status: 'suspended' }),
    up('holding', { personId: 'alice', keyId: 'resident', validUntil: at(365) }),
    up('holding', { personId: 'bob', keyId: 'resident', validFrom: at(-400), validUntil: at(-10) }),
    up('holding', { personId: 'carol', keyId: 'staff' }),
    up('holding', { personId: 'dave', keyId: 'cleaning', validUntil: at(90) }),
    up('holding', { personId: 'erin', keyId: 'resident', validFrom: at(-1), validUntil: at(3) }),
    up('holding', { personId: 'frank', keyId: 'deliveries' }),
    up('holding', { personId: 'grace', keyId: 'resident', validFrom: at(30), validUntil: at(395) }),
    up('holding', { personId: 'henry', keyId: 'resident' }),
    up('credential', { id: 'alice-card', personId: 'alice', kind: 'card', card: '26:12:34567', label: 'Fob #17' }),
    up('credential', { id: 'alice-pin', personId: 'alice', kind: 'pin', pin: '1234' }),
    up('credential', { id: 'bob-card', personId: 'bob', kind: 'card', card: '26:12:40001' }),
    up('credential', { id: 'carol-card', personId: 'carol', kind: 'card', card: '26:12:1001' }),
    up('credential', { id: 'carol-pin', personId: 'carol', kind: 'pin', pin: '4321' }),
    up('credential', { id: 'carol-duress', personId: 'carol', kind: 'pin', pin: '9111', duress: true, label: 'duress code' }),
    up('credential', { id: 'dave-finger', personId: 'dave', kind: 'fingerprint', readerId: 'lobby-fp', slot: 3 }),
    up('credential', { id: 'erin-phone', personId: 'erin', kind: 'mobile', mobileKeyId: 'erin-phone', publicKey: DEMO_PHONE_PUBLIC_KEY }),
    up('credential', { id: 'frank-once', personId: 'frank', kind: 'pin', pin: '5555', useLimit: 1, label: 'one-time code' }),
    up('credential', { id: 'grace-card', personId: 'grace', kind: 'card', card: '26:12:50002' }),
    up('credential', { id: 'henry-card', personId: 'henry', kind: 'card', card: '26:12:60003' }),
  ];
}
