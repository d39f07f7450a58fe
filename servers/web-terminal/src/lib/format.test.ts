import { describe, expect, it } from "vitest";
import { change, dec, times } from "./decimal";
import { formatDecimal, formatMoney, formatPercent, formatPrice, formatQty, formatSigned } from "./format";

describe("format", () => {
  it("keeps every digit of a decimal string (no float rounding)", () => {
    expect(formatDecimal("12345678901234567.123456789")).toBe("12,345,678,901,234,567.123456789");
    expect(formatPrice("0.1")).toBe("0.10");
    expect(formatPrice("100.005")).toBe("100.005");
  });

  it("formats money half-up to the cent", () => {
    expect(formatMoney("1234.5")).toBe("$1,234.50");
    expect(formatMoney("0.005")).toBe("$0.01");
    expect(formatMoney("-12")).toBe("-$12.00");
    expect(formatMoney("-0.001")).toBe("$0.00");
    expect(formatMoney(null)).toBe("—");
    expect(formatMoney("abc")).toBe("—");
  });

  it("quantities drop trailing zeros", () => {
    expect(formatQty("10.000")).toBe("10");
    expect(formatQty("1000")).toBe("1,000");
    expect(formatQty("0.50")).toBe("0.5");
  });

  it("signs and percentages", () => {
    expect(formatSigned(dec("1.5"))).toBe("+1.50");
    expect(formatSigned(dec("-0.25"))).toBe("-0.25");
    expect(formatSigned(dec("0"))).toBe("0.00");
    expect(formatPercent(change("110", "100")?.percent ?? null)).toBe("+10.00%");
  });

  it("multiplies decimal strings exactly", () => {
    // 0.1 * 3 in floats is 0.30000000000000004
    expect(times("0.1", "3")?.toFixed()).toBe("0.3");
    expect(formatMoney(times("19.99", "3"))).toBe("$59.97");
    expect(times("1", "")).toBeNull();
  });
});
