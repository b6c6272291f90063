/**
 * A door input on the gateway's own GPIO header: which line of which GPIO character device
 * (/dev/gpiochipN), its polarity, bias and debounce. Lines are named by offset on the chip (the
 * number `gpioinfo` prints in front of the line); on a Raspberry Pi's main chip the offset is the
 * BCM GPIO number. See docs/gpio-inputs.md.
 */
import { z } from 'zod';

const CHIP = /^(?:\/dev\/)?gpiochip(\d{1,3})$/;

export const GPIO_BIASES = ['as-is', 'pull-up', 'pull-down', 'disabled'] as const;
export type GpioBias = (typeof GPIO_BIASES)[number];

export const GpioInputSchema = z.strictObject({
  /** `gpiochip0` or `/dev/gpiochip0` (a GPIO character device, never /sys/class/gpio) */
  chip: z.string().regex(CHIP, 'must be a GPIO character device: gpiochipN or /dev/gpiochipN'),
  /** the line's offset on that chip, 0–1023 */
  line: z.number().int().min(0).max(1023),
  /** true: a low level means active (door open, button pressed, alarm) */
  activeLow: z.boolean().default(false),
  /** the SoC's internal resistor: leave as-is, pull-up, pull-down or disabled */
  bias: z.enum(GPIO_BIASES).default('as-is'),
  /** a new level must hold this long before it counts (software, plus the kernel's where the tool can ask for it) */
  debounceMs: z.number().int().min(0).max(1000).default(20),
});

export type GpioInputConfig = z.output<typeof GpioInputSchema>;

/** The chip's device path: `gpiochip0` and `/dev/gpiochip0` both give `/dev/gpiochip0`. */
export function chipPath(chip: string): string {
  const match = CHIP.exec(chip);
  return match ? `/dev/gpiochip${match[1]}` : chip;
}
