/**
 * One door: its readers, keypad, contact, request-to-exit and actuator wired to access decisions,
 * with the behaviour of a Mercury-class panel.
 *
 * - Act, then record: the actuator is commanded before the event is journaled.
 * - Modes, strongest first: fire release > lockdown > passage > normal. Fire release holds the
 *   door open from the fire input alone, whatever the database, the rules or the cloud say.
 * - A door whose actuator is unavailable stays as it is (fail-secure doors stay locked) and says
 *   why in its health; when the actuator comes back, the door's intended state is re-applied.
 * - A remote unlock (remoteUnlock) is a timed release like a grant's pulse; it is refused in
 *   lockdown and while the actuator is offline, and is a no-op release in fire or passage mode.
 * - Commissioning (the installer, over the control socket): a door test pulse (testPulse), one
 *   indicator pattern at a time (showPattern), and learn mode (startLearning, doorLearning.ts):
 *   an unknown card or keypad code is denied as usual and its value handed to the installer.
 */
import type { Logger } from 'pino';
import type { Presentation, Verdict } from '../access/verdict.js';
import type { Clock } from '../kernel/clock.js';
import { GatewayError } from '../kernel/gatewayError.js';
import type { JournalEvent } from '../journal/journal.js';
import type { DoorActuator, Health, IndicatorPattern, ReaderInput, SensorFault } from '../hal/types.js';
import { DeviceListeners } from './deviceListeners.js';
import type { DoorBehaviour } from './doorConfig.js';
import { doorHealth, type DoorDevices } from './doorDevices.js';
import { DoorPassage } from './doorPassage.js';
import { KeypadLockout } from './keypadLockout.js';
import { OpenDoorAlarms, type OpenDoorAlarm } from './openDoorAlarms.js';
import { PendingCard, type FirstFactor } from './pendingCard.js';
import { MAX_PIN_DIGITS, PinEntry } from './pinEntry.js';
import { DoorLearning, type LearnedCredential, type LearnListener, type Operator } from './doorLearning.js';
import type { LockoutState } from '../access/pinLockout.js';


/** What a door needs from the gateway. Every method is synchronous and must not throw. */
export interface DoorContext {
  clock: Clock;
  logger: Logger;
  /** the decision (and, for a grant of a use-limited credential, its use counted in memory) */
  decide(presentation: Presentation): Verdict;
  /** after acting: persist what the decision used and journal it */
  recordDecision(presentation: Presentation, verdict: Verdict): void;
  record(event: Omit<JournalEvent, 'at'>): void;
  hashPin(digits: string): string;
  lockouts: { load(doorId: string): LockoutState; save(doorId: string, state: LockoutState): void };
  /** is the door's passage schedule open now? null when the schedule is unknown */
  passageOpen(scheduleId: string, now: number): boolean | null;
  /** the local day number (site time) of an instant, for first-person-in */
  localDay(now: number): number;
  lockedDown(doorId: string): boolean;
  /**
   * Offline doorcodes (docs/offline-doorcodes.md), absent when the site takes none: their length
   * (longer than any stored PIN), and the decision on digits typed alone at the keypad, which
   * consults stored PINs first. Its presentation carries the PIN digest, never the digits.
   */
  offlineCodes?: { length: number; decide(doorId: string, digits: string): { presentation: Presentation; verdict: Verdict } };
}

export type DoorMode = 'normal' | 'passage' | 'lockdown' | 'fire';

export interface DoorStatus {
  doorId: string;
  mode: DoorMode;
  actuator: ReturnType<DoorActuator['state']>;
  open: boolean | undefined;
  alarms: string[];
  health: Health;
  devices: Record<string, Health>;
}

export class DoorController {
  readonly doorId: string;
  private readonly log: Logger;
  private pin: PinEntry;
  private readonly lockout: KeypadLockout;
  private readonly pendingCard: PendingCard;
  private readonly passage: DoorPassage;
  private readonly openAlarms: OpenDoorAlarms;
  private authorisedUntil = 0;
  private fire = false;
  private lockdown = false;
  private readonly listeners: DeviceListeners;
  private readonly learning: DoorLearning;
  private started = false;

  constructor(
    private readonly behaviour: DoorBehaviour,
    private readonly devices: DoorDevices,
    private readonly ctx: DoorContext,
  ) {
    this.doorId = behaviour.id;
    this.log = ctx.logger.child({ module: 'doors', door: behaviour.id });
    this.listeners = new DeviceListeners(this.log);
    const maxDigits = Math.max(MAX_PIN_DIGITS, ctx.offlineCodes?.length ?? 0);
    this.pin = new PinEntry(ctx.clock, behaviour.pin.interKeyTimeoutMs, () => this.ctx.record({ type: 'access', doorId: this.doorId, grant: false, reason: 'pin_timeout' }), maxDigits);
    this.lockout = new KeypadLockout(this.doorId, behaviour.pin, ctx.lockouts, this.log, (ms, level) => {
      this.log.warn({ ms }, 'keypad locked out after repeated wrong PINs');
      this.safeRecord({ type: 'alarm', doorId: this.doorId, reason: 'pin_lockout', data: { ms, level } });
    });
    this.pendingCard = new PendingCard(ctx.clock, behaviour.secondFactorTimeoutMs);
    this.passage = new DoorPassage(behaviour.passage, ctx, this.log, (on) => {
      this.safeRecord({ type: 'mode', doorId: this.doorId, reason: on ? 'passage_on' : 'passage_off' });
      this.reconcile(on ? 'passage on' : 'passage off');
    });
    const cleared = (alarm: OpenDoorAlarm) => this.safeRecord({ type: 'alarm', doorId: this.doorId, reason: `${alarm}_cleared` });
    this.openAlarms = new OpenDoorAlarms(ctx.clock, behaviour.heldOpenMs, (alarm) => this.raise(alarm), cleared);
    this.learning = new DoorLearning(this.doorId, ctx.clock, (event) => this.safeRecord(event));
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.lockout.load();
    this.lockdown = this.ctx.lockedDown(this.doorId);
    const { readers, contact, rex, actuator } = this.devices;
    const listeners = this.listeners;
    for (const reader of readers) listeners.on(reader, 'input', (input: ReaderInput) => this.onInput(input));
    if (contact) listeners.on(contact, 'change', (_: string, open: boolean) => this.onDoorPosition(open));
    if (rex) {
      // a level first learnt after start is a reading, not a press: a REX stuck pressed at boot opens nothing
      let known = rex.value() !== undefined;
      listeners.on(rex, 'change', (_: string, pressed: boolean) => {
        const first = !known;
        known = true;
        if (first && pressed) this.log.warn('the request-to-exit input reads pressed at start: not taken as an exit request (a stuck button?)');
        else if (pressed) this.onRequestToExit();
      });
    }
    for (const [sensor, name] of [[contact, 'contact'], [rex, 'rex']] as const) {
      if (sensor) listeners.on(sensor, 'wiringFault', (fault: SensorFault | null) => this.onWiringFault(name, fault));
    }
    listeners.on(actuator, 'health', (h: Health) => h.state === 'online' && this.reconcile('actuator back online'));
    this.passage.start();
    this.reconcile('start');
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.listeners.removeAll();
    this.learning.stop();
    this.pin.reset();
    this.pendingCard.cancel();
    this.openAlarms.stop();
    this.passage.stop();
  }

  mode(): DoorMode {
    if (this.fire && this.behaviour.fireRelease) return 'fire';
    if (this.lockdown) return 'lockdown';
    if (this.passage.active) return 'passage';
    return 'normal';
  }

  status(): DoorStatus {
    const { health, devices } = doorHealth(this.devices, this.ctx.clock.now());
    return {
      doorId: this.doorId, mode: this.mode(), actuator: this.devices.actuator.state(),
      open: this.devices.contact?.value(), alarms: this.openAlarms.list(), health, devices,
    };
  }

  /** The fire/egress input changed. Needs no database: releases from this input alone. */
  setFire(active: boolean): void {
    if (this.fire === active) return;
    this.fire = active;
    if (!this.behaviour.fireRelease) return;
    this.reconcile(active ? 'fire release' : 'fire cleared');
    this.safeRecord({ type: 'alarm', doorId: this.doorId, reason: active ? 'fire_release' : 'fire_cleared' });
  }

  /** Lockdown on/off for this door (or the site) changed. */
  setLockdown(on: boolean): void {
    if (this.lockdown === on) return;
    this.lockdown = on;
    this.pin.reset();
    this.pendingCard.cancel();
    this.reconcile(on ? 'lockdown' : 'lockdown lifted');
  }

  /** Re-reads the passage schedule (call after the rules changed). */
  refreshRules(): void {
    this.lockdown = this.ctx.lockedDown(this.doorId);
    this.passage.evaluate();
    this.reconcile('rules changed');
  }

  /**
   * Releases the door for `ms` on a remote (cloud) command, like a grant's pulse: the forced-open
   * alarm is masked for `ms`, the door re-locks when the pulse ends or when it closes after an
   * opening, and a shorter release never cuts a running pulse or passage short. In fire or
   * passage mode the door already stands released: nothing moves and the unlock is still
   * journaled (it does not outlast the mode). Act, then record: the relay moves before the
   * `remote_unlock` event is journaled.
   *
   * Throws GatewayError('UNAVAILABLE') when the door is not running, is locked down (a remote
   * unlock does not override lockdown) or its actuator is offline; 'INPUT_INVALID' for an `ms`
   * that is not a positive integer. A command the actuator later fails to confirm is journaled
   * as `actuator_failed`, like every actuator failure.
   */
  remoteUnlock(ms: number, reason: string): void {
    if (!Number.isSafeInteger(ms) || ms < 1) {
      throw new GatewayError('INPUT_INVALID', `remote unlock of door ${this.doorId} needs a positive whole number of milliseconds`, { id: this.doorId, field: 'ms' });
    }
    if (!this.started) throw new GatewayError('UNAVAILABLE', `door ${this.doorId} is not running`, { id: this.doorId });
    const mode = this.mode();
    if (mode === 'lockdown') {
      throw new GatewayError('UNAVAILABLE', `door ${this.doorId} is locked down: a remote unlock does not override lockdown`, { id: this.doorId, hint: 'lift the lockdown first' });
    }
    const actuator = this.devices.actuator.health();
    if (actuator.state === 'offline') {
      throw new GatewayError('UNAVAILABLE', `door ${this.doorId} cannot unlock: actuator offline (${actuator.reason})`, { id: this.doorId });
    }
    this.release(ms, 'remote unlock');
    if (mode === 'normal') this.show('granted');
    this.log.info({ ms, mode, reason }, 'remote unlock');
    this.safeRecord({ type: 'access', doorId: this.doorId, grant: true, reason: 'remote_unlock', data: { ms, reason } });
  }

  // --- commissioning --------------------------------------------------------------------

  /**
   * The installer's door test: releases the strike for `ms` (the forced-open alarm masked, as for
   * a grant), journaled `door_test` (access, grant) with who asked and whether it was forced. In
   * fire or passage mode the door already stands released: nothing moves and the result says so
   * (still journaled). Throws UNAVAILABLE when the door is not running or is locked down and not
   * `force`d, DEVICE_OFFLINE when its actuator is offline.
   */
  testPulse(ms: number, by: Operator, force: boolean): { released: boolean; note: string } {
    if (!this.started) throw new GatewayError('UNAVAILABLE', `door ${this.doorId} is not running`, { id: this.doorId });
    const mode = this.mode();
    if (mode === 'lockdown' && !force) {
      throw new GatewayError('UNAVAILABLE', `door ${this.doorId} is locked down: the test pulse would release it`, { id: this.doorId, hint: 'lift the lockdown, or test with --force' });
    }
    const actuator = this.devices.actuator.health();
    if (actuator.state === 'offline') throw new GatewayError('DEVICE_OFFLINE', `door ${this.doorId} cannot pulse: actuator offline (${actuator.reason})`, { id: this.doorId });
    const moot = mode === 'fire' ? 'fire release is active: the door already stands released, nothing moved' : mode === 'passage' ? 'passage mode: the door already stands released, nothing moved' : null;
    this.release(ms, 'door test');
    this.log.info({ ms, mode, uid: by.uid, force }, 'door test pulse');
    this.safeRecord({ type: 'access', doorId: this.doorId, grant: true, reason: 'door_test', data: { ms, mode, forced: force && mode === 'lockdown', uid: by.uid, user: by.user } });
    return moot ? { released: false, note: moot } : { released: true, note: `released for ${ms} ms${mode === 'lockdown' ? ' (forced, in lockdown)' : ''}` };
  }

  /** Shows one pattern on the door's indicator; `shown` false, with why, when it is offline or (`missing`) there is none. */
  async showPattern(pattern: IndicatorPattern): Promise<{ shown: boolean; note?: string; missing?: boolean }> {
    const indicator = this.devices.indicator;
    if (!indicator) return { shown: false, missing: true, note: `door ${this.doorId} has no indicator` };
    const health = indicator.health();
    if (health.state === 'offline') return { shown: false, note: `indicator ${indicator.id} offline (${health.reason})` };
    await indicator.show(pattern);
    return { shown: true };
  }

  /** The indicator back to what the door's mode shows (after a door test). */
  restorePattern(): void {
    this.show(this.modePattern());
  }

  /**
   * Learn mode for `forMs` (doorLearning.ts): the next unknown card or keypad code is denied as
   * usual, then handed to `listener` only. Returns the cancel function. Throws UNAVAILABLE when
   * the door is not running or already learning.
   */
  startLearning(forMs: number, by: Operator, listener: LearnListener): () => void {
    if (!this.started) throw new GatewayError('UNAVAILABLE', `door ${this.doorId} is not running`, { id: this.doorId });
    return this.learning.start(forMs, by, listener);
  }

  // --- inputs ---------------------------------------------------------------------------

  private onInput(input: ReaderInput): void {
    switch (input.kind) {
      case 'card':
        return this.onCard(input.value);
      case 'keys':
        for (const key of input.keys) this.onKey(key);
        return;
      case 'mobile':
        return void this.onFirstFactor({ kind: 'mobile', value: input.value, ...(input.documentToken === undefined ? {} : { documentToken: input.documentToken }) });
      case 'fingerprint':
        return this.present({ doorId: this.doorId, kind: input.kind, value: input.value });
    }
  }

  private onCard(value: string): void {
    void this.onFirstFactor({ kind: 'card', value });
  }

  /**
   * A phone key whose challenge-response verified (the BLE reader asks, because the phone must
   * hear the verdict): decided, acted on and recorded like any credential. Returns the verdict
   * and, for a grant, how long the door is released.
   */
  presentPhoneKey(credentialId: string, documentToken?: string): { verdict: Verdict; unlockMs?: number } {
    const verdict = this.onFirstFactor({ kind: 'mobile', value: credentialId, ...(documentToken === undefined ? {} : { documentToken }) });
    if (!verdict.grant) return { verdict };
    return { verdict, unlockMs: verdict.extendedUnlock ? this.behaviour.extendedUnlockMs : this.behaviour.unlockMs };
  }

  /** A card or a verified phone key: at a card+PIN door it waits for its holder's PIN. */
  private onFirstFactor(factor: FirstFactor): Verdict {
    this.pin.reset();
    this.pendingCard.cancel();
    const presentation: Presentation = { doorId: this.doorId, ...factor };
    const verdict = this.ctx.decide(presentation);
    if (verdict.reason === 'second_factor_required') {
      // the card or phone key is good here; wait for the holder's PIN
      this.pendingCard.wait(factor, () => {
        this.show('idle');
        this.safeRecord({ type: 'access', doorId: this.doorId, grant: false, reason: 'second_factor_timeout', ...(verdict.personId ? { personId: verdict.personId } : {}) });
      });
      this.show('pin_entry');
      return verdict;
    }
    this.act(presentation, verdict, factor.kind === 'card' ? { kind: 'card', value: factor.value } : undefined);
    return verdict;
  }

  private onKey(key: string): void {
    const now = this.ctx.clock.now();
    const result = this.pin.press(key);
    if (result.kind === 'digit' && result.length === 1) this.show('pin_entry');
    if (result.kind === 'too_long') this.show('denied');
    if (result.kind !== 'submitted') return;
    const lockedUntil = this.lockout.lockedUntil(now);
    if (lockedUntil !== null) {
      this.show('denied');
      this.safeRecord({ type: 'access', doorId: this.doorId, grant: false, reason: 'pin_lockout', data: { lockedUntil } });
      return;
    }
    const first = this.pendingCard.take();
    const codes = this.ctx.offlineCodes;
    if (first === null && codes !== undefined && result.digits.length === codes.length) {
      const { presentation, verdict } = codes.decide(this.doorId, result.digits);
      this.act(presentation, verdict);
      this.lockout.count(verdict, now);
      return;
    }
    const pinDigest = this.ctx.hashPin(result.digits);
    const presentation: Presentation = first !== null
      ? { doorId: this.doorId, ...first, pinDigest }
      : { doorId: this.doorId, kind: 'pin', value: pinDigest };
    const verdict = this.ctx.decide(presentation);
    this.act(presentation, verdict, first === null ? { kind: 'pin', value: result.digits } : undefined);
    this.lockout.count(verdict, now);
  }

  private present(presentation: Presentation): void {
    this.pin.reset();
    this.pendingCard.cancel();
    this.act(presentation, this.ctx.decide(presentation));
  }

  /** Act on a verdict, then record it; an unknown `learnable` credential then goes to a running learn mode. */
  private act(presentation: Presentation, verdict: Verdict, learnable?: LearnedCredential): void {
    if (verdict.grant) {
      const ms = verdict.extendedUnlock ? this.behaviour.extendedUnlockMs : this.behaviour.unlockMs;
      this.release(ms, 'grant');
      this.show('granted'); // also for duress: the alarm is silent
      if (verdict.staff && this.passage.staffGranted()) this.reconcile('first person in');
    } else {
      this.show('denied');
    }
    try {
      this.ctx.recordDecision(presentation, verdict);
    } catch (err) {
      this.log.error({ err }, 'could not record a decision');
    }
    if (learnable && verdict.reason === 'unknown_credential' && this.learning.active) {
      try {
        this.learning.offer(learnable);
      } catch (err) {
        this.log.error({ err }, 'learn mode listener failed');
      }
    }
  }

  private onRequestToExit(): void {
    const ms = this.behaviour.unlockMs;
    this.authorisedUntil = Math.max(this.authorisedUntil, this.ctx.clock.now() + ms);
    if (this.behaviour.rexUnlocks && this.mode() !== 'lockdown') this.release(ms, 'request to exit');
    this.safeRecord({ type: 'access', doorId: this.doorId, grant: true, reason: 'request_to_exit' });
  }

  /** A supervised contact or REX loop cut or shorted: the door cannot see its position (or exit requests). */
  private onWiringFault(input: 'contact' | 'rex', fault: SensorFault | null): void {
    if (fault) {
      this.log.warn({ input, fault }, `the ${input === 'contact' ? 'door contact' : 'request-to-exit'} loop is ${fault === 'cut' ? 'cut' : 'shorted'}`);
      this.safeRecord({ type: 'alarm', doorId: this.doorId, reason: `${input}_fault`, data: { fault } });
    } else {
      this.safeRecord({ type: 'alarm', doorId: this.doorId, reason: `${input}_fault_cleared` });
    }
  }

  private onDoorPosition(open: boolean): void {
    const now = this.ctx.clock.now();
    if (open) {
      const free = this.mode() === 'fire' || this.mode() === 'passage';
      if (!free) this.openAlarms.opened(now > this.authorisedUntil);
      this.safeRecord({ type: 'mode', doorId: this.doorId, reason: 'door_opened' });
      return;
    }
    this.openAlarms.closed();
    this.safeRecord({ type: 'mode', doorId: this.doorId, reason: 'door_closed' });
    if (this.behaviour.relockOnClose && this.mode() === 'normal' && this.devices.actuator.state() === 'unlocked') {
      this.authorisedUntil = now;
      this.command(() => this.devices.actuator.lock(), 're-lock on close');
    }
  }

  // --- modes ----------------------------------------------------------------------------

  /** Applies the intended actuator state for the current mode. */
  private reconcile(why: string): void {
    if (!this.started) return;
    const mode = this.mode();
    const actuator = this.devices.actuator;
    if (mode === 'fire' || mode === 'passage') {
      this.command(() => actuator.hold(true), why);
    } else {
      this.command(() => actuator.hold(false), why);
      if (mode === 'lockdown') this.command(() => actuator.lock(), why);
    }
    this.show(this.modePattern());
  }

  private modePattern(): IndicatorPattern {
    const mode = this.mode();
    return mode === 'lockdown' ? 'lockdown' : mode === 'fire' ? 'alarm' : mode === 'passage' ? 'passage' : 'idle';
  }

  private release(ms: number, why: string): void {
    this.authorisedUntil = Math.max(this.authorisedUntil, this.ctx.clock.now() + ms);
    if (this.mode() === 'fire' || this.mode() === 'passage') return; // already released
    this.command(() => this.devices.actuator.unlock(ms), why);
  }

  // --- plumbing -------------------------------------------------------------------------

  private command(run: () => Promise<void>, why: string): void {
    let pending: Promise<void>;
    try {
      pending = run();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.catch((err: { code?: string; message?: string }) => {
      this.log.warn({ code: err.code, why }, `actuator command failed: ${err.message ?? String(err)}`);
      this.safeRecord({ type: 'alarm', doorId: this.doorId, reason: 'actuator_failed', data: { code: err.code ?? 'unknown', why } });
    });
  }

  private raise(alarm: OpenDoorAlarm): void {
    this.log.warn(`alarm: ${alarm}`);
    this.show('alarm');
    this.safeRecord({ type: 'alarm', doorId: this.doorId, reason: alarm });
  }

  private show(pattern: IndicatorPattern): void {
    const indicator = this.devices.indicator;
    if (!indicator) return;
    indicator.show(pattern).catch(() => undefined); // an indicator never blocks or breaks the door
  }

  private safeRecord(event: Omit<JournalEvent, 'at'>): void {
    try {
      this.ctx.record(event);
    } catch (err) {
      this.log.error({ err, reason: event.reason }, 'could not record an event');
    }
  }
}
