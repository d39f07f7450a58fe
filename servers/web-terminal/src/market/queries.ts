import { useQuery } from "@tanstack/react-query";
import { api } from "../api/http";
import type { Account, Candle, Instrument, Page, Quote, Snapshot, Trade } from "../api/types";

export function useInstruments() {
  return useQuery({
    queryKey: ["stocks"],
    queryFn: () => api<{ items: Instrument[] }>("/stocks", { auth: false }).then((r) => r.items),
    staleTime: 60_000,
  });
}

export function useInstrument(symbol: string) {
  return useQuery({ queryKey: ["stock", symbol], queryFn: () => api<Instrument>(`/stocks/${symbol}`, { auth: false }) });
}

export function useSnapshots(symbols: string[]) {
  const list = [...symbols].sort().join(",");
  return useQuery({
    queryKey: ["snapshots", list],
    queryFn: () => api<Record<string, Snapshot>>("/stocks/snapshots", { query: { symbols: list }, auth: false }),
    enabled: list.length > 0,
  });
}

export function useQuoteQuery(symbol: string) {
  return useQuery({ queryKey: ["quote", symbol], queryFn: () => api<Quote>(`/stocks/${symbol}/quote`, { auth: false }) });
}

export function useTradesQuery(symbol: string) {
  return useQuery({
    queryKey: ["trades", symbol],
    queryFn: () => api<Page<Trade>>(`/stocks/${symbol}/trades`, { query: { limit: 50 }, auth: false }).then((r) => r.items),
  });
}

export type Interval = "1m" | "5m" | "15m" | "1h" | "1d";
export const INTERVAL_SECONDS: Record<Interval, number> = { "1m": 60, "5m": 300, "15m": 900, "1h": 3600, "1d": 86400 };

export function useCandles(symbol: string, interval: Interval) {
  return useQuery({
    queryKey: ["candles", symbol, interval],
    queryFn: () => {
      const start = new Date(Date.now() - INTERVAL_SECONDS[interval] * 500 * 1000).toISOString();
      return api<{ items: Candle[] }>(`/stocks/${symbol}/candles`, { query: { interval, start }, auth: false }).then((r) => r.items);
    },
    staleTime: 0, // coming back to an interval reloads it: trades seen meanwhile were folded elsewhere
  });
}

export function useAccount() {
  return useQuery({ queryKey: ["account"], queryFn: () => api<Account>("/account") });
}
