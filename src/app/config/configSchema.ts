/**
 * The one schema of the gateway's configuration. Every field has a default, so an empty file
 * (or no file) runs the embedded defaults: simulated hardware, SQLite under ./data/, no cloud.
 * Unknown keys are rejected (a typo must not silently fall back to a default).
 */
import { z } from 'zod';
import { IdSchema } from '../../access/model.js';
import { DoorBehaviourSchema } from '../../doors/doorConfig.js';
import { BleConfigSchema } from '../../hal/ble/bleConfig.js';
import { SerialConfigSchema } from '../../hal/serial/serialConfig.js';
import { CloudConfigSchema } from '../../cloud/cloudConfig.js';
import { OfflineCodeConfigSchema } from '../../engine/offlineCodeConfig.js';
import { OfflineTrustConfigSchema } from '../../engine/offlineTrustConfig.js';
import { bridgeLine, FireConfigSchema, type InputWiring } from '../../doors/inputWiringConfig.js';
import { chipPath } from '../../hal/gpio/gpioConfig.js';
import { pathProblems, STANDARD_BAUD_RATES } from './pathAndRateChecks.js';
import { LOG_FORMATS } from '../../kernel/logger.js';
import { MetricsConfigSchema } from './metricsConfig.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const ConfigSchema = z
  .strictObject({
  gateway: z
    .strictObject({
      /** the gateway's id: its MQTT client id and topic segment */
      id: IdSchema.default('gw-local'),
      /** where state lives; relative paths are relative to the working directory; no `..`, nothing under /proc, /sys or /dev */
      dataDir: z.string().min(1).default('./data'),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** the SQLite file, relative to dataDir; an absolute path is refused (it would not be honoured) */
      file: z.string().min(1).default('lockgw.db'),
    })
    .prefault({}),
  secrets: z
    .strictObject({
      /** 32+ random bytes (hex) that key PIN digests; created on first start with mode 0600 */
      deviceSecretFile: z.string().min(1).default('device-secret'),
      createIfMissing: z.boolean().default(true),
    })
    .prefault({}),
  journal: z
    .strictObject({
      /** events kept until the cloud acknowledges them; the oldest are dropped beyond this */
      maxEvents: z.number().int().min(1_000).max(100_000_000).default(1_000_000),
      batchSize: z.number().int().min(1).max(100_000).default(512),
      /** at most this long between fsyncs of the event log (power-loss window) */
      durableIntervalMs: z.number().int().min(0).max(60_000).default(1_000),
      /** acknowledged events (all events, without a cloud) kept locally for `lockgw journal` (docs/durability.md, "Local history") */
      history: z
        .strictObject({
          /** events older than this many days are pruned */
          days: z.number().min(0).max(3_650).default(30),
          /** at most this many events kept (about 250 bytes of disk each); the oldest go first */
          maxEvents: z.number().int().min(0).max(100_000_000).default(500_000),
        })
        .prefault({}),
    })
    .prefault({}),
  /** how each door behaves; empty with demo.seed: the demo site's doors on simulated devices */
  doors: z
    .array(DoorBehaviourSchema)
    .max(1_000)
    .default([])
    .superRefine((doors, ctx) => {
      const seen = new Set<string>();
      doors.forEach((d, i) => {
        if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `door ${d.id} is configured twice` });
        seen.add(d.id);
      });
    }),
  /** doorcodes the cloud issues with no sync, checked at the keypad (docs/offline-doorcodes.md); off by default */
  offlineCodes: OfflineCodeConfigSchema,
  /** the MQTT link to the cloud; disabled by default: the gateway runs fully offline */
  cloud: CloudConfigSchema.prefault({}),
  /** offline leases per credential class and clock trust (docs/access-model.md); leases apply only with a cloud link */
  offline: OfflineTrustConfigSchema,
  /** serial buses: Wiegand bridges, relay boards, fingerprint sensors (referenced by doors) */
  serial: SerialConfigSchema,
  /** Bluetooth LE radios: phone keys (the gateway as a peripheral) and BLE locks (as a central) */
  ble: BleConfigSchema,
  /** the fire panel's release contact: releases every door with fireRelease (docs/door-path.md) */
  fire: FireConfigSchema.optional(),
  control: z
    .strictObject({
      /** the local control socket (lockgw status, sim, lockdown), relative to dataDir or absolute; mode 0660 (docs/control-socket.md) */
      socket: z.string().min(1).default('lockgw.sock'),
      enabled: z.boolean().default(true),
      /** the socket's group (name or gid): its members may read the status and drive simulated devices; default the daemon's group */
      group: z.string().min(1).nullable().default(null),
      /** users (names or uids) who may act on real doors (lockgw lockdown) once they proved their uid; root and the daemon's user always may */
      operators: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** Prometheus metrics on a local HTTP endpoint and/or a node_exporter textfile (docs/metrics.md); off by default */
  metrics: MetricsConfigSchema,
  demo: z
    .strictObject({
      /** seed the demo site when the database is empty */
      seed: z.boolean().default(true),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
      /** text: one readable line per record (terminal, journald); json: pino's JSON lines (docs/systemd.md) */
      format: z.enum(LOG_FORMATS).default('text'),
      /** before 0.2: pino-pretty on or off. Still accepted so an upgraded gateway starts; warned about (loadConfig.ts) */
      pretty: z.enum(['auto', 'always', 'never']).optional(),
    })
    .prefault({}),
  })
  .superRefine((c, ctx) => {
    for (const { path, message } of pathProblems(c.gateway.dataDir, c.store.file)) ctx.addIssue({ code: 'custom', path, message });
    if (c.journal.batchSize > c.journal.maxEvents) ctx.addIssue({ code: 'custom', path: ['journal', 'batchSize'], message: `must be at most journal.maxEvents (${c.journal.maxEvents})` });
    const buses = [['wiegandBridges', c.serial.wiegandBridges], ['relayBoards', c.serial.relayBoards], ['fingerprintSensors', c.serial.fingerprintSensors]] as const;
    for (const [kind, list] of buses) {
      list.forEach((bus, i) => {
        if (!STANDARD_BAUD_RATES.has(bus.baudRate)) ctx.addIssue({ code: 'custom', path: ['serial', kind, i, 'baudRate'], message: `${bus.baudRate} is not a standard serial baud rate` });
      });
    }
    const ids = (list: readonly { id: string }[]) => new Set(list.map((x) => x.id));
    const bridges = ids(c.serial.wiegandBridges);
    const boards = ids(c.serial.relayBoards);
    const sensors = ids(c.serial.fingerprintSensors);
    const used = new Set<string>();
    const wired = (wiring: InputWiring, role: 'contact' | 'rex' | 'fire', path: (string | number)[]) => {
      if (wiring.bridge !== undefined && !bridges.has(wiring.bridge)) ctx.addIssue({ code: 'custom', path: [...path, 'bridge'], message: `no Wiegand bridge ${wiring.bridge} under serial.wiegandBridges` });
      const key = wiring.gpio ? `GPIO ${chipPath(wiring.gpio.chip)} line ${wiring.gpio.line}` : `bridge ${wiring.bridge} port ${wiring.port} input ${bridgeLine(wiring, role)}`;
      if (used.has(key)) ctx.addIssue({ code: 'custom', path, message: `${key} is already wired to another input` });
      used.add(key);
    };
    if (c.fire) wired(c.fire.input, 'fire', ['fire', 'input']);
    c.doors.forEach((d, i) => {
      for (const role of ['contact', 'rex'] as const) {
        const wiring = d.inputs?.[role];
        if (wiring) wired(wiring, role, ['doors', i, 'inputs', role]);
      }
      if (d.ble?.phoneKey && !c.ble.phoneKeys) ctx.addIssue({ code: 'custom', path: ['doors', i, 'ble', 'phoneKey'], message: 'phone keys need a radio: ble: {phoneKeys: {adapter: {hci: 0}}}' });
      if (d.ble?.lock && !c.ble.locks) ctx.addIssue({ code: 'custom', path: ['doors', i, 'ble', 'lock'], message: 'a BLE lock needs a radio: ble: {locks: {adapter: {hci: 0}}}' });
      if (!d.serial) return;
      const { reader, actuator, fingerprint } = d.serial;
      if (!bridges.has(reader.bridge)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'serial', 'reader', 'bridge'], message: `no Wiegand bridge ${reader.bridge} under serial.wiegandBridges` });
      if (!boards.has(actuator.board)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'serial', 'actuator', 'board'], message: `no relay board ${actuator.board} under serial.relayBoards` });
      if (fingerprint !== undefined && !sensors.has(fingerprint)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'serial', 'fingerprint'], message: `no fingerprint sensor ${fingerprint} under serial.fingerprintSensors` });
      for (const [key, path] of [[`bridge ${reader.bridge} port ${reader.port}`, 'reader'], [`board ${actuator.board} channel ${actuator.channel}`, 'actuator']] as const) {
        if (used.has(key)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'serial', path], message: `${key} is already used by another door` });
        used.add(key);
      }
    });
  });

export type GatewayConfig = z.output<typeof ConfigSchema>;
export type GatewayConfigInput = z.input<typeof ConfigSchema>;

const BAUD_HINT = 'one of 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600 … 4000000 (the standard termios rates)';

/** Hints shown next to a config error at this path (`*` stands for an index in a list). */
export const CONFIG_HINTS: Readonly<Record<string, string>> = {
  'gateway.id': 'letters, digits and . _ : @ - ; it becomes the MQTT client id',
  'journal.maxEvents': 'between 1000 and 100000000; about 200 bytes of disk per event',
  'journal.durableIntervalMs': 'milliseconds between fsyncs; 0 fsyncs every batch',
  'log.level': `one of ${LOG_LEVELS.join(', ')}`,
  'log.format': 'text (readable lines, the default) or json (one JSON object per line, for log shippers)',
  'gateway.dataDir': 'an absolute directory such as /var/lib/lockgw, or a path below the working directory without ..',
  'store.file': 'a file name relative to gateway.dataDir, e.g. lockgw.db; to move the database, move gateway.dataDir',
  'journal.batchSize': 'events written per transaction; no larger than journal.maxEvents',
  'journal.history.days': 'days of local access history to keep, 0 to 3650 (default 30)',
  'journal.history.maxEvents': 'events of local history to keep, about 250 bytes of disk each (default 500000)',
  'serial.wiegandBridges.*.baudRate': BAUD_HINT,
  'serial.relayBoards.*.baudRate': BAUD_HINT,
  'serial.fingerprintSensors.*.baudRate': BAUD_HINT,
  'doors.*.extendedUnlockMs': 'the accessibility unlock time is at least unlockMs',
  'doors.*.unlockMs': 'the door unlocks for at most heldOpenMs, or the held-open alarm would sound while it is still released',
  'metrics.enabled': 'metrics.listen is on by default (127.0.0.1:9464); set it, or metrics.textfile, or turn metrics off',
  'metrics.listen': 'host:port, e.g. 127.0.0.1:9464 (this host only) or [::1]:9464',
  'metrics.textfile': 'an absolute path ending in .prom in node_exporter\'s --collector.textfile.directory, e.g. /var/lib/node_exporter/textfile/lockgw.prom',
  'metrics.intervalMs': 'milliseconds between textfile writes, 1000 to 3600000 (default 15000)',
  'offlineCodes.length': 'between 9 and 12 digits: longer than any stored PIN (4 to 8), so a code is never a stored PIN',
};
