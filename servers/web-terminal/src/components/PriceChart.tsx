import { Box, Group, SegmentedControl, Text } from "@mantine/core";
import { CandlestickSeries, createChart, type IChartApi, type ISeriesApi, type UTCTimestamp } from "lightweight-charts";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Candle, Trade } from "../api/types";
import { foldBar, foldTrade, fromCandle, type LiveCandle } from "../market/candles";
import type { MarketMessage } from "../market/feed";
import { useMarketEvents } from "../market/live";
import { INTERVAL_SECONDS, useCandles, type Interval } from "../market/queries";

// The chart draws with numbers: a conversion for display only, never for money arithmetic.
function toBar(candle: LiveCandle) {
  return {
    time: candle.time as UTCTimestamp,
    open: Number(candle.open),
    high: Number(candle.high),
    low: Number(candle.low),
    close: Number(candle.close),
  };
}

export function PriceChart({ symbol }: { symbol: string }) {
  const [interval, setInterval] = useState<Interval>("1m");
  const history = useCandles(symbol, interval);
  const [live, setLive] = useState<{ key: string; candles: LiveCandle[] } | null>(null);
  const key = `${symbol}:${interval}`;
  const base = useMemo(() => (history.data ?? []).map(fromCandle), [history.data]);
  const candles = live?.key === key ? live.candles : base;

  const onEvent = useCallback(
    (message: MarketMessage) => {
      if (!history.data) return;
      setLive((current) => {
        const from = current?.key === key ? current.candles : (history.data ?? []).map(fromCandle);
        if (message.type === "bar") {
          const bar = message as unknown as Candle & { interval: string };
          return { key, candles: bar.interval === interval ? foldBar(from, bar) : from };
        }
        const trade = message as unknown as Trade;
        return { key, candles: foldTrade(from, trade.price, trade.qty, trade.ts, INTERVAL_SECONDS[interval]) };
      });
    },
    [history.data, key, interval],
  );
  useMarketEvents(symbol, onEvent);

  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const series = useRef<ISeriesApi<"Candlestick"> | null>(null);

  useEffect(() => {
    if (!container.current) return;
    const created = createChart(container.current, {
      autoSize: true,
      layout: { attributionLogo: false },
      timeScale: { timeVisible: true, secondsVisible: false, rightOffset: 4, barSpacing: 10 },
    });
    chart.current = created;
    series.current = created.addSeries(CandlestickSeries, { priceFormat: { type: "price", precision: 2, minMove: 0.01 } });
    return () => {
      created.remove();
      chart.current = null;
      series.current = null;
    };
  }, []);

  useEffect(() => {
    series.current?.setData(candles.map(toBar));
  }, [candles]);

  const last = candles[candles.length - 1];
  return (
    <Box>
      <Group justify="space-between" mb="xs" wrap="wrap">
        <SegmentedControl
          aria-label="Candle interval"
          size="xs"
          value={interval}
          onChange={(value) => setInterval(value as Interval)}
          data={Object.keys(INTERVAL_SECONDS)}
        />
        <Text size="xs" c="dimmed" data-testid="chart-last">
          {last ? `O ${last.open} H ${last.high} L ${last.low} C ${last.close} V ${last.volume}` : "No trades yet"}
        </Text>
      </Group>
      <Box ref={container} h={320} data-testid="price-chart" aria-label={`${symbol} price chart`} role="img" />
    </Box>
  );
}
