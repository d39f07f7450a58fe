import { describe, expect, it } from "vitest";
import { foldBar, foldTrade, type LiveCandle } from "./candles";

const base: LiveCandle[] = [{ time: 1_700_000_040, open: "10.00", high: "10.50", low: "9.90", close: "10.20", volume: "7" }];

describe("live candles", () => {
  it("a trade in the last bucket moves close, high and volume", () => {
    const at = new Date((1_700_000_040 + 10) * 1000).toISOString();
    const [candle] = foldTrade(base, "10.75", "3", at, 60);
    expect(candle).toEqual({ time: 1_700_000_040, open: "10.00", high: "10.75", low: "9.90", close: "10.75", volume: "10" });
  });

  it("a trade after the last bucket opens a new candle", () => {
    const at = new Date((1_700_000_040 + 61) * 1000).toISOString();
    const candles = foldTrade(base, "9.5", "1", at, 60);
    expect(candles).toHaveLength(2);
    expect(candles[1]).toEqual({ time: 1_700_000_100, open: "9.5", high: "9.5", low: "9.5", close: "9.5", volume: "1" });
  });

  it("a closed bar replaces its bucket", () => {
    const candles = foldBar(base, {
      start: new Date(1_700_000_040 * 1000).toISOString(),
      open: "10.00",
      high: "11",
      low: "9",
      close: "10.5",
      volume: "20",
    });
    expect(candles).toEqual([{ time: 1_700_000_040, open: "10.00", high: "11", low: "9", close: "10.5", volume: "20" }]);
  });
});
