import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/http";
import type { Page, Watchlist } from "../api/types";

const key = ["watchlists"] as const;

export function useWatchlists() {
  return useQuery({ queryKey: key, queryFn: () => api<Page<Watchlist>>("/watchlists").then((r) => r.items) });
}

export function useWatchlistMutations() {
  const client = useQueryClient();
  const done = () => void client.invalidateQueries({ queryKey: key });
  return {
    create: useMutation({
      mutationFn: (name: string) => api<Watchlist>("/watchlists", { method: "POST", body: { name, symbols: [] } }),
      onSuccess: done,
    }),
    rename: useMutation({
      mutationFn: (list: Watchlist) =>
        api<Watchlist>(`/watchlists/${list.id}`, { method: "PUT", body: { name: list.name, symbols: list.symbols } }),
      onSuccess: done,
    }),
    remove: useMutation({
      mutationFn: (id: string) => api<null>(`/watchlists/${id}`, { method: "DELETE" }),
      onSuccess: done,
    }),
    addSymbol: useMutation({
      mutationFn: ({ id, symbol }: { id: string; symbol: string }) =>
        api<Watchlist>(`/watchlists/${id}/symbols`, { method: "POST", body: { symbol } }),
      onSuccess: done,
    }),
    removeSymbol: useMutation({
      mutationFn: ({ id, symbol }: { id: string; symbol: string }) =>
        api<Watchlist>(`/watchlists/${id}/symbols/${encodeURIComponent(symbol)}`, { method: "DELETE" }),
      onSuccess: done,
    }),
  };
}
