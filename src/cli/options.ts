// Option values commander hands over as text, read and checked: a mistake names the option and what it accepts.
import { OPTION_BOUNDS } from '../bounds.js';
import { UsageError } from '../errors.js';

/** A whole number from 1 to `max` given to an option (undefined when the option was not given). */
export function wholeNumber(
  flag: string,
  v: string | undefined,
  max: number = OPTION_BOUNDS.wholeNumber.max,
): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(v) || Number(v) > max)
    throw new UsageError(`${flag}: must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** An option's old name, still accepted (hidden from help) with a warning: the value of the new name, or of the old
 *  one when only it was given; both at once is a mistake. */
export function deprecated(
  oldValue: string | undefined,
  oldFlag: string,
  newValue: string | undefined,
  newFlag: string,
): string | undefined {
  if (oldValue === undefined) return newValue;
  if (newValue !== undefined) throw new UsageError(`${oldFlag} is the old name of ${newFlag}: give only ${newFlag}`);
  console.error(`labforge: warning: ${oldFlag} is deprecated; use ${newFlag}`);
  return oldValue;
}
