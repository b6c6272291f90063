/**
 * A Nuki Smart Lock as a DoorActuator, over an injected connector (no noble here) and the
 * pairing credentials. docs/ble-nuki-lock.md describes the behaviour; in short:
 *  - unlock(ms): the configured action (unlatch by default), then `lock` after ms — the door ends
 *    locked (fail-secure); the re-lock waits while the door sensor reports the door open. A new
 *    unlock(ms) while released acts again and restarts the timer. hold(true): unlock until
 *    hold(false). lock(): lock now.
 *  - a command resolves when the lock sent COMPLETE and its state is the one asked for. An action
 *    the lock never accepted is retried (`retries`, exponential backoff on the clock); one it
 *    accepted but did not complete is not repeated: it rejects DEVICE_TIMEOUT, emits
 *    `unconfirmed` and the state becomes 'unknown'. An Error Report rejects DEVICE_ERROR.
 *  - a lock that stops answering: `offline` with the reason; commands reject DEVICE_OFFLINE
 *    (lock() still records the locked intention); a reconnect runs with backoff until it
 *    answers, then `online`, `reconciled`, and a lock intended locked is locked again.
 *  - low battery: `lowBattery` on the critical flag or below `lowBatteryPercent`.
 * Logs name the lock and the action, never the credentials.
 *
 * Activity (a diagnostic): every change of what the actuator waits on is logged at debug level
 * as `{activity}` with the message 'activity': 'connecting' (opening a link: the lock's answer or
 * the connect deadline moves it), 'sending' (a write or a disconnect of ours is on its way: the
 * radio stack always acknowledges it), 'awaiting' (an exchange whose writes were all acknowledged:
 * only the lock's answer or a deadline moves it), 'idle' (nothing but timers: poll, re-lock,
 * reconnect, backoff). The end-to-end test moves its clock only when nothing but a timer can
 * move the lock (test/app/bleLockOverBle.test.ts).
 */
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '../../../kernel/clock.js';
import { GatewayError, isGatewayError } from '../../../kernel/gatewayError.js';
import { DeviceBase, STOPPED } from '../../deviceBase.js';
import { guardedEmit } from '../../../kernel/guardedEmit.js';
import type { ActuatorEvents, ActuatorState, DoorActuator } from '../../types.js';
import { aroundSends, type BleLink } from '../bleLink.js';
import type { NukiLockActionName } from './nukiConstants.js';
import { NukiCommandError, performLockAction, requestKeyturnerStates } from './nukiCommands.js';
import type { NukiKeyturnerStates } from './nukiMessages.js';
import { actuatorState, backoff, reached, validated, type NukiLockActuatorOptions, type NukiLockEvents } from './nukiLockPolicy.js';
import { NukiSession, type NukiCredentials } from './nukiSession.js';

/** what the actuator waits on (see the class comment) */
type NukiLockActivity = 'idle' | 'connecting' | 'sending' | 'awaiting';

export class NukiLockActuator extends DeviceBase<ActuatorEvents> implements DoorActuator {
  readonly kind = 'actuator' as const;
  /** a motor lock stays where it is when its battery dies */
  readonly failSafe = false;
  /** keyturner, lowBattery, reconciled, unconfirmed (see NukiLockEvents) */
  readonly nuki = new EventEmitter<NukiLockEvents>();
  private readonly o: ReturnType<typeof validated>;
  private credentials: NukiCredentials | undefined;
  private running = false;
  private link: BleLink | null = null;
  private current: ActuatorState = 'unknown';
  private intended: ActuatorState = 'locked';
  private last: NukiKeyturnerStates | undefined;
  private batteryLow = false;
  private queue: Promise<unknown> = Promise.resolve();
  private relockTimer: TimerHandle | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private pollTimer: TimerHandle | null = null;
  private reconnectAttempt = 0;
  private dropped = 0;
  private connecting = 0;
  private sending = 0;
  private sessions = 0;
  private activity: NukiLockActivity = 'idle';

  constructor(options: NukiLockActuatorOptions) {
    super({ id: options.id, clock: options.clock, log: options.logger.child({ module: 'hal:nuki', device: options.id }) });
    this.o = validated(options);
  }

  state(): ActuatorState { return this.current; }
  /** the last Keyturner States read (undefined before the first) */
  keyturnerStates(): NukiKeyturnerStates | undefined { return this.last; }
  /** values dropped for not decoding (bad CRC, wrong key, tampered, unframeable) */
  droppedValues(): number { return this.dropped; }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.credentials = this.o.credentials.load();
    if (!this.credentials) {
      this.setHealth('offline', 'not paired: run lockgw ble pair');
      return;
    }
    await this.probe('start');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    const wasReleased = this.relockTimer !== null;
    this.running = false;
    for (const t of [this.relockTimer, this.reconnectTimer, this.pollTimer]) this.clock.clearTimeout(t);
    this.relockTimer = this.reconnectTimer = this.pollTimer = null;
    this.intended = 'locked';
    // fail-secure: a timed release in progress ends locked
    if (wasReleased && this.health().state !== 'offline') await this.act('lock').catch((err: unknown) => this.log.warn({ err: String(err) }, 'could not lock before stopping'));
    await this.queue.catch(() => undefined);
    await this.closeLink();
    this.setHealth('offline', STOPPED);
  }

  unlock(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms <= 0) return Promise.reject(new GatewayError('INPUT_INVALID', 'unlock(ms) needs ms > 0', { id: this.id, field: 'ms' }));
    this.clearRelock();
    this.intended = 'unlocked';
    return this.command(this.o.unlockMode).then(() => { this.scheduleRelock(ms); });
  }

  lock(): Promise<void> {
    this.clearRelock();
    this.intended = 'locked';
    return this.command('lock');
  }

  hold(released: boolean): Promise<void> {
    if (!released) return this.lock();
    this.clearRelock();
    this.intended = 'unlocked';
    return this.command('unlock');
  }

  private command(action: NukiLockActionName): Promise<void> {
    if (!this.running) return Promise.reject(new GatewayError('NOT_STARTED', `nuki lock ${this.id} is not started`, { id: this.id }));
    const health = this.health();
    if (health.state === 'offline') return Promise.reject(new GatewayError('DEVICE_OFFLINE', `nuki lock ${this.id} is offline: ${health.reason}`, { id: this.id }));
    return this.act(action);
  }

  /** One lock action, queued behind the others, with retries before acceptance. */
  private act(action: NukiLockActionName): Promise<void> {
    const run = async (): Promise<void> => {
      let lastError: unknown;
      for (let attempt = 0; attempt <= this.o.retries; attempt++) {
        if (attempt > 0) await this.sleep(backoff(this.o.backoffMs, this.o.maxBackoffMs, attempt - 1));
        try {
          const states = await this.withSession((s) => performLockAction(s, this.clock, action, this.credentials!.appId,
            { responseMs: this.o.responseTimeoutMs, completionMs: this.o.completionTimeoutMs }, (st) => this.apply(st)));
          const final = states ?? (await this.withSession((s) => requestKeyturnerStates(s, this.clock, this.o.responseTimeoutMs)));
          this.apply(final);
          if (!reached(action, final.lockState)) {
            this.setHealth('degraded', `lock reports ${final.lockState} after ${action}`);
            throw new GatewayError('DEVICE_ERROR', `nuki lock ${this.id} reports ${final.lockState} after ${action}`, { id: this.id });
          }
          this.log.info({ action, lockState: final.lockState }, 'lock action confirmed');
          this.setHealth('online', 'answering');
          return;
        } catch (err) {
          lastError = err;
          if (err instanceof NukiCommandError && err.code === 'DEVICE_ERROR') {
            this.setHealth('degraded', err.message);
            throw err;
          }
          if (err instanceof NukiCommandError && err.phase === 'after_accept') return this.unconfirmed(action, err);
          if (!(err instanceof NukiCommandError) && !isGatewayError(err, 'DEVICE_OFFLINE') && !isGatewayError(err, 'DEVICE_TIMEOUT')) throw err;
          this.log.warn({ action, attempt, reason: (err as Error).message }, 'lock action not answered');
        }
      }
      const reason = `no answer to ${action} after ${this.o.retries + 1} attempts: ${(lastError as Error).message}`;
      this.goOffline(reason);
      return this.unconfirmed(action, lastError as Error, reason);
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private unconfirmed(action: NukiLockActionName, err: Error, reason = err.message): never {
    this.current = 'unknown';
    this.emitGuarded('state', 'unknown');
    this.emitNuki('unconfirmed', { action, reason });
    this.log.warn({ action, reason }, 'lock action unconfirmed');
    if (this.health().state !== 'offline') this.scheduleReconnect(0);
    throw new GatewayError('DEVICE_TIMEOUT', `nuki lock ${this.id} did not confirm ${action}: ${reason}`, { id: this.id }, { cause: err });
  }

  /** Reads the lock's state; online on an answer (reconciled when it was not), offline on none. */
  private async probe(why: string): Promise<void> {
    const wasOnline = this.health().state !== 'offline';
    try {
      const states = await this.withSession((s) => requestKeyturnerStates(s, this.clock, this.o.responseTimeoutMs));
      this.apply(states);
      this.reconnectAttempt = 0;
      this.setHealth('online', 'answering');
      if (!wasOnline || why === 'start') this.reconcile(states);
      this.schedulePoll();
    } catch (err) {
      if (!this.running) return;
      if (!isGatewayError(err)) this.log.error({ err }, 'state read failed unexpectedly');
      this.goOffline(`no answer from the lock (${why}): ${(err as Error).message}`);
    }
  }

  private reconcile(states: NukiKeyturnerStates): void {
    this.emitNuki('reconciled', { lockState: states.lockState, intended: this.intended });
    if (this.intended === 'locked' && states.lockState !== 'locked') {
      this.log.info({ lockState: states.lockState }, 're-locking a lock found open on its return');
      this.act('lock').catch(() => undefined);
    }
  }

  private goOffline(reason: string): void {
    this.current = 'unknown';
    this.setHealth('offline', reason);
    void this.closeLink();
    this.scheduleReconnect();
  }

  private scheduleReconnect(delay = backoff(this.o.backoffMs, this.o.maxBackoffMs, this.reconnectAttempt++)): void {
    if (!this.running || this.reconnectTimer) return;
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      void this.enqueue(() => this.probe('reconnect'));
    }, delay);
  }

  private schedulePoll(): void {
    this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
    if (!this.running || this.o.pollMs === 0) return;
    this.pollTimer = this.clock.setTimeout(() => { this.pollTimer = null; void this.enqueue(() => this.probe('poll')); }, this.o.pollMs);
  }

  private scheduleRelock(ms: number): void {
    this.relockTimer = this.clock.setTimeout(() => {
      this.relockTimer = null;
      if (this.last?.doorSensor === 'opened') {
        void this.enqueue(() => this.probe('door open at re-lock')).then(() => {
          if (this.intended === 'unlocked' && this.relockTimer === null && this.running) this.scheduleRelock(this.last?.doorSensor === 'opened' ? this.o.relockRetryMs : 1);
        });
        return;
      }
      this.intended = 'locked';
      this.act('lock').catch((err: unknown) => this.log.warn({ reason: (err as Error).message }, 're-lock after a timed release failed'));
    }, ms);
  }

  private clearRelock(): void {
    this.clock.clearTimeout(this.relockTimer);
    this.relockTimer = null;
  }

  private apply(states: NukiKeyturnerStates): void {
    this.last = states;
    const next = actuatorState(states.lockState);
    if (next !== this.current) {
      this.current = next;
      this.emitGuarded('state', next);
    }
    this.emitNuki('keyturner', states);
    const low = states.battery.critical || states.battery.percent < this.o.lowBatteryPercent;
    if (low && !this.batteryLow) {
      this.log.warn({ percent: states.battery.percent, critical: states.battery.critical }, 'battery low');
      this.emitNuki('lowBattery', { ...states.battery });
    }
    this.batteryLow = low;
  }

  private emitNuki<K extends keyof NukiLockEvents & string>(event: K, ...args: NukiLockEvents[K]): void {
    guardedEmit(this.nuki, this.listenerFailed, event, ...args);
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const result = this.queue.then(fn, fn);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async withSession<T>(fn: (session: NukiSession) => Promise<T>): Promise<T> {
    this.busy('sessions', +1);
    try {
      const link = this.link && !this.link.closed ? this.link : await this.during('connecting', () => this.connect());
      const session = new NukiSession(this.observed(link), this.credentials!, { clock: this.clock, random: this.o.random, onDrop: (reason) => { this.dropped++; this.log.debug({ reason }, 'dropped a value'); } });
      try {
        return await fn(session);
      } finally {
        session.close();
        if (this.o.link === 'on_demand') await this.closeLink();
      }
    } finally {
      this.busy('sessions', -1);
    }
  }

  /** `link` with every send counted as activity (see the class comment) */
  private observed(link: BleLink): BleLink {
    return aroundSends(link, (send) => this.during('sending', send));
  }

  private async during<T>(what: 'connecting' | 'sending', fn: () => Promise<T>): Promise<T> {
    this.busy(what, +1);
    try {
      return await fn();
    } finally {
      this.busy(what, -1);
    }
  }

  private busy(counter: 'connecting' | 'sending' | 'sessions', by: 1 | -1): void {
    this[counter] += by;
    const now: NukiLockActivity = this.connecting > 0 ? 'connecting' : this.sending > 0 ? 'sending' : this.sessions > 0 ? 'awaiting' : 'idle';
    if (now === this.activity) return;
    this.activity = now;
    this.log.debug({ activity: now }, 'activity');
  }

  private async connect(): Promise<BleLink> {
    let timer: TimerHandle | null = null;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => reject(new GatewayError('DEVICE_TIMEOUT', `no connection to nuki lock ${this.id} within ${this.o.connectTimeoutMs} ms`, { id: this.id })), this.o.connectTimeoutMs);
    });
    try {
      const link = await Promise.race([this.o.connector.connect(), timeout]);
      this.link = link;
      if (this.o.link === 'keep_alive') {
        link.onClose((reason) => {
          if (this.link === link) this.link = null;
          if (this.running) { this.log.info({ reason }, 'link closed'); this.scheduleReconnect(0); }
        });
      }
      return link;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  private async closeLink(): Promise<void> {
    const link = this.link;
    this.link = null;
    if (link && !link.closed) await this.during('sending', () => link.close()).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => { this.clock.setTimeout(resolve, ms); });
  }
}
