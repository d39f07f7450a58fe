import { Box, SegmentedControl, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { AreaSeries, createChart, type IChartApi, type ISeriesApi, type UTCTimestamp } from "lightweight-charts";
import { useEffect, useRef, useState } from "react";
import { api } from "../api/http";
import type { EquityHistory } from "../api/types";

const SPAN_SECONDS = { "1m": 6 * 3600, "1h": 30 * 86400, "1d": 365 * 86400 } as const;
type Timeframe = keyof typeof SPAN_SECONDS;

export function EquityChart({ equityNow }: { equityNow: string | undefined }) {
  const [timeframe, setTimeframe] = useState<Timeframe>("1m");
  const history = useQuery({
    queryKey: ["portfolio-history", timeframe],
    queryFn: () =>
      api<EquityHistory>("/portfolio/history", {
        query: { timeframe, start: new Date(Date.now() - SPAN_SECONDS[timeframe] * 1000).toISOString() },
      }),
    refetchInterval: 60_000,
  });
  const container = useRef<HTMLDivElement>(null);
  const series = useRef<ISeriesApi<"Area"> | null>(null);
  const chart = useRef<IChartApi | null>(null);

  useEffect(() => {
    if (!container.current) return;
    const created = createChart(container.current, { autoSize: true, layout: { attributionLogo: false }, timeScale: { timeVisible: true } });
    chart.current = created;
    series.current = created.addSeries(AreaSeries, { priceFormat: { type: "price", precision: 2, minMove: 0.01 } });
    return () => created.remove();
  }, []);

  useEffect(() => {
    // display only: the chart plots numbers; the figures shown as text stay decimal strings
    const points = new Map<number, number>();
    for (const item of history.data?.items ?? []) points.set(Math.floor(new Date(item.ts).getTime() / 1000), Number(item.equity));
    if (equityNow !== undefined) {
      const now = Math.floor(Date.now() / 1000);
      const last = Math.max(0, ...points.keys());
      if (now > last) points.set(now, Number(equityNow));
    }
    const data = [...points.entries()].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time: time as UTCTimestamp, value }));
    series.current?.setData(data);
    chart.current?.timeScale().fitContent();
  }, [history.data, equityNow]);

  return (
    <Box>
      <SegmentedControl
        aria-label="Equity timeframe"
        size="xs"
        mb="xs"
        value={timeframe}
        onChange={(v) => setTimeframe(v as Timeframe)}
        data={Object.keys(SPAN_SECONDS)}
      />
      {history.isError && (
        <Text c="red" size="sm">
          Could not load the equity history.
        </Text>
      )}
      <Box ref={container} h={240} data-testid="equity-chart" role="img" aria-label="Equity history chart" />
    </Box>
  );
}
