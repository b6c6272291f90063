/**
 * Where a door's contact, request-to-exit button and the site's fire input are wired: to an
 * input of a Wiegand bridge port (docs/wiegand-bridge.md, "Door inputs") or to a line of the
 * gateway's own GPIO (docs/gpio-inputs.md). Part of the gateway config: `doors[].inputs` and
 * `fire`.
 */
import { z } from 'zod';
import { IdSchema } from '../kernel/idSchema.js';
import { GpioInputSchema } from '../hal/gpio/gpioConfig.js';

/**
 * Where one input is wired: an input of a Wiegand bridge port (`bridge`, `port`, and optionally
 * `line`, `supervised`, `activeWhen`), or a GPIO line of the gateway (`gpio: {chip, line, ...}`).
 */
export const InputWiringSchema = z
  .strictObject({
    bridge: IdSchema.optional(),
    port: z.number().int().min(1).max(8).optional(),
    /** the input of the bridge port; default: contact for a door contact, rex for a REX, aux for the fire input */
    line: z.enum(['contact', 'rex', 'aux']).optional(),
    /** an end-of-line-resistor loop the bridge classifies as normal / active / cut / short */
    supervised: z.boolean().default(false),
    /**
     * unsupervised bridge inputs: which circuit state means active (door open, button pressed,
     * fire alarm). Defaults: door contact `open` (normally-closed reed), REX `closed`
     * (normally-open button), fire `open` (the panel's normally-closed release contact: a cut
     * wire reads as alarm)
     */
    activeWhen: z.enum(['open', 'closed']).optional(),
    /** a line of the gateway's own GPIO (docs/gpio-inputs.md) */
    gpio: GpioInputSchema.optional(),
  })
  .superRefine((w, ctx) => {
    const bridgeKeys = (['bridge', 'port', 'line', 'activeWhen'] as const).filter((k) => w[k] !== undefined);
    if (w.gpio !== undefined) {
      for (const k of bridgeKeys) ctx.addIssue({ code: 'custom', path: [k], message: `a GPIO input has no ${k}: set either gpio or bridge/port` });
      if (w.supervised) ctx.addIssue({ code: 'custom', path: ['supervised'], message: 'GPIO inputs are digital: supervised loops need a Wiegand bridge input' });
      return;
    }
    if (w.bridge === undefined) ctx.addIssue({ code: 'custom', path: ['bridge'], message: 'an input is wired to a Wiegand bridge ({bridge, port}) or to GPIO ({gpio: {chip, line}})' });
    if (w.port === undefined) ctx.addIssue({ code: 'custom', path: ['port'], message: 'the bridge port the input is wired to (1-8)' });
    if (w.supervised && w.activeWhen !== undefined) ctx.addIssue({ code: 'custom', path: ['activeWhen'], message: 'a supervised loop reports normal/active itself: activeWhen is for unsupervised inputs' });
  });

export type InputWiring = z.output<typeof InputWiringSchema>;

/** An input wired to a bridge port (the config's check guarantees bridge and port). */
export interface BridgeInputWiring extends InputWiring {
  bridge: string;
  port: number;
}

export function isBridgeWiring(w: InputWiring): w is BridgeInputWiring {
  return w.gpio === undefined;
}

/** A door's inputs. Either may be absent: a door without a contact has no forced/held alarms. */
export const DoorInputsSchema = z.strictObject({
  /** the door position switch */
  contact: InputWiringSchema.optional(),
  /** the request-to-exit button or motion sensor */
  rex: InputWiringSchema.optional(),
});

/**
 * The site's fire/egress input: when active, every door with fireRelease is released. A fault
 * of its supervised loop (cut or shorted) means the panel's state is unknown: `onFault: release`
 * (the default, life safety first) releases those doors while the fault lasts; `hold` keeps
 * them as they are and only raises the alarm. Either way `fire_input_fault` is journaled.
 */
export const FireConfigSchema = z.strictObject({
  input: InputWiringSchema,
  onFault: z.enum(['release', 'hold']).default('release'),
});

export type FireConfig = z.output<typeof FireConfigSchema>;

/** The bridge input line a wiring names, by the role it is wired for. */
export function bridgeLine(wiring: InputWiring, role: 'contact' | 'rex' | 'fire'): 'contact' | 'rex' | 'aux' {
  return wiring.line ?? (role === 'fire' ? 'aux' : role);
}

/** The role an input is wired for, as the door controller hears it (DoorSensor.input). */
export const SENSOR_INPUT = { contact: 'door', rex: 'rex', fire: 'fire' } as const;
