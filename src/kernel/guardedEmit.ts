/**
 * An emit that a failing listener cannot break. Listeners run synchronously from a driver's I/O
 * callback; one that throws (or returns a promise that rejects) is the listener owner's bug: it
 * is handed to `onListenerError`, and the other listeners and the emitter carry on. `once`
 * listeners are removed as EventEmitter.emit would remove them.
 */
import type { EventEmitter } from 'node:events';

/** What happens to a listener's failure; `event` names the event, never its arguments (they may carry credentials). */
export type ListenerErrorHandler = (err: unknown, event: string) => void;

/** Calls each listener of `event` in turn; returns whether there were any. */
export function guardedEmit<E extends Record<keyof E, unknown[]>, K extends keyof E & string>(
  emitter: EventEmitter<E>,
  onListenerError: ListenerErrorHandler,
  event: K,
  ...args: E[K]
): boolean {
  const untyped = emitter as unknown as EventEmitter;
  // rawListeners: a `once` wrapper removes itself when called
  const listeners = untyped.rawListeners(event) as ((...a: unknown[]) => unknown)[];
  for (const listener of listeners) {
    try {
      const result = listener.apply(emitter, args);
      if (result instanceof Promise) result.catch((err: unknown) => onListenerError(err, event));
    } catch (err) {
      onListenerError(err, event);
    }
  }
  return listeners.length > 0;
}

/** For emulated peers in tests: a test's failing listener is the test's problem. */
export const ignoreListenerError: ListenerErrorHandler = () => undefined;
