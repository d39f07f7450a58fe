import { Decimal, dec } from "./decimal";

const DASH = "—";

function group(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** A decimal string (or Decimal) with thousands separators and at least `minPlaces`
 * decimals, never through a JS number (so "0.1" + "0.2" style errors cannot appear). */
export function formatDecimal(
  value: string | Decimal | null | undefined,
  minPlaces = 0,
  maxPlaces?: number,
): string {
  const d = value instanceof Decimal ? value : dec(value ?? null);
  if (!d) return DASH;
  let fixed = d.toFixed();
  if (maxPlaces !== undefined && d.decimalPlaces() > maxPlaces) {
    fixed = d.toFixed(maxPlaces, Decimal.ROUND_HALF_UP);
  }
  const negative = fixed.startsWith("-");
  const [integer = "0", fraction = ""] = (negative ? fixed.slice(1) : fixed).split(".");
  const trimmed = fraction.replace(/0+$/, "");
  const places = trimmed.padEnd(Math.max(minPlaces, trimmed.length), "0");
  const body = group(integer) + (places ? `.${places}` : "");
  const isNegativeZero = negative && /^[0.,]+$/.test(body);
  return (negative && !isNegativeZero ? "-" : "") + body;
}

/** Money in USD: "$1,234.50"; negative as "-$12.00". Rounded half-up to the cent. */
export function formatMoney(value: string | Decimal | null | undefined): string {
  const d = value instanceof Decimal ? value : dec(value ?? null);
  if (!d) return DASH;
  const text = formatDecimal(d.abs(), 2, 2);
  return (d.isNegative() && !d.abs().toDecimalPlaces(2).isZero() ? "-$" : "$") + text;
}

/** A price as given (all its places kept, at least 2). */
export function formatPrice(value: string | Decimal | null | undefined): string {
  return formatDecimal(value, 2);
}

export function formatQty(value: string | Decimal | null | undefined): string {
  return formatDecimal(value, 0);
}

/** A signed amount with + for gains: "+1.25", "-0.50". */
export function formatSigned(value: Decimal | null, places = 2): string {
  if (!value) return DASH;
  const text = formatDecimal(value.abs(), places, places);
  if (value.toDecimalPlaces(places).isZero()) return text;
  return (value.isNegative() ? "-" : "+") + text;
}

export function formatPercent(value: Decimal | null): string {
  return value ? `${formatSigned(value, 2)}%` : DASH;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? DASH : date.toLocaleTimeString();
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return DASH;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? DASH : date.toLocaleString();
}

export function trendColor(value: Decimal | null): string | undefined {
  if (!value || value.isZero()) return undefined;
  return value.isNegative() ? "red" : "teal";
}
