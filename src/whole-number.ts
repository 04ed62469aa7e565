import { UserError } from "./errors.js";

/** A command-line option that must be a whole number of at least 1 (`--limit`, `--jobs`, `--max`). */
export function wholeNumberOption(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UserError(`${flag} must be a whole number of at least 1, not "${value}"`, 2);
  return Number(value);
}
