import type { Candle } from "../api/types";
import { compareDecimal, dec } from "../lib/decimal";

/** Candles stay decimal strings; a live trade folds into the bucket it falls in (or opens
 * a new one), a closed bar of the chart's own interval replaces its bucket. */
export interface LiveCandle {
  time: number; // bucket start, epoch seconds (UTC)
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export function fromCandle(candle: Candle): LiveCandle {
  return {
    time: Math.floor(new Date(candle.start).getTime() / 1000),
    open: candle.open,
    high: candle.high,
    low: candle.low,
    close: candle.close,
    volume: candle.volume,
  };
}

export function bucketOf(iso: string, seconds: number): number {
  const at = Math.floor(new Date(iso).getTime() / 1000);
  return at - (at % seconds);
}

function upsert(candles: LiveCandle[], candle: LiveCandle): LiveCandle[] {
  const last = candles[candles.length - 1];
  if (!last || candle.time > last.time) return [...candles, candle];
  const index = candles.findIndex((c) => c.time === candle.time);
  if (index === -1) return candles; // older than the window: the chart cannot insert it
  const next = candles.slice();
  next[index] = candle;
  return next;
}

export function foldTrade(candles: LiveCandle[], price: string, qty: string, ts: string, seconds: number): LiveCandle[] {
  const time = bucketOf(ts, seconds);
  const current = candles.find((c) => c.time === time);
  if (!current) return upsert(candles, { time, open: price, high: price, low: price, close: price, volume: qty });
  const volume = (dec(current.volume) ?? dec("0"))?.plus(dec(qty) ?? 0).toFixed() ?? current.volume;
  return upsert(candles, {
    time,
    open: current.open,
    high: compareDecimal(price, current.high) > 0 ? price : current.high,
    low: compareDecimal(price, current.low) < 0 ? price : current.low,
    close: price,
    volume,
  });
}

export function foldBar(candles: LiveCandle[], bar: Candle): LiveCandle[] {
  return upsert(candles, fromCandle(bar));
}
