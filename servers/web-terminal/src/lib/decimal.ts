import Decimal from "decimal.js";

/** Money, prices and quantities stay decimal strings; arithmetic goes through Decimal. */
export type DecimalString = string;

const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

export function isDecimal(value: string): boolean {
  return DECIMAL_RE.test(value.trim());
}

/** A Decimal of a decimal string, or null when it is empty or not a number. */
export function dec(value: string | null | undefined): Decimal | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (!isDecimal(text)) return null;
  return new Decimal(text);
}

export function times(a: string | null | undefined, b: string | null | undefined): Decimal | null {
  const x = dec(a);
  const y = dec(b);
  return x && y ? x.times(y) : null;
}

export function minus(a: string | null | undefined, b: string | null | undefined): Decimal | null {
  const x = dec(a);
  const y = dec(b);
  return x && y ? x.minus(y) : null;
}

export function isZero(value: string): boolean {
  const d = dec(value);
  return d !== null && d.isZero();
}

/** Compare two decimal strings: negative, zero or positive, as Array.sort wants. */
export function compareDecimal(a: string, b: string): number {
  return new Decimal(a).comparedTo(new Decimal(b));
}

/** Change from a previous price as an amount and a percentage (null when unknown). */
export function change(
  last: string | null | undefined,
  previous: string | null | undefined,
): { amount: Decimal; percent: Decimal } | null {
  const now = dec(last);
  const before = dec(previous);
  if (!now || !before || before.isZero()) return null;
  const amount = now.minus(before);
  return { amount, percent: amount.div(before).times(100) };
}

export { Decimal };
