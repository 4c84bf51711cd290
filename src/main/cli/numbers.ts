// Number options and number output shared by the commands.
import { UsageError } from './errors.ts';

/** Reads a whole-number option, with its default; anything else is a usage error. */
export function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError(`--${name} takes a whole number of 1 or more, not "${String(value)}".`);
  }
  return number;
}

/** Scores printed with four decimals: enough to order, short enough to read. */
export const round = (value: number): number => Math.round(value * 10_000) / 10_000;
