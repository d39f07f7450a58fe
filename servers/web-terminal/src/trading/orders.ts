import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/http";
import type { Fill, Order, Page } from "../api/types";

export type OrderFilter = "open" | "closed" | "all";

const OPEN = new Set(["pending_new", "new", "partially_filled", "pending_cancel", "accepted", "pending_replace"]);

export function isOpen(order: Order): boolean {
  return OPEN.has(order.status);
}

/** The caller's orders; kept live by useTradeUpdates, which patches every ["orders", ...]
 * list in the cache with each order it receives (the filter is applied when rendering). */
export function useOrders(filter: OrderFilter, symbol?: string) {
  return useQuery({
    queryKey: ["orders", filter, symbol ?? ""],
    queryFn: () =>
      api<Page<Order>>("/orders", { query: { status: filter, symbol, limit: 100 } }).then((r) => r.items),
    select: (orders: Order[]) =>
      orders.filter(
        (order) =>
          (!symbol || order.symbol === symbol) &&
          (filter === "all" || (filter === "open" ? isOpen(order) : !isOpen(order))),
      ),
  });
}

export function useFills() {
  return useQuery({
    queryKey: ["fills"],
    queryFn: () => api<Page<Fill>>("/fills", { query: { limit: 100 } }).then((r) => r.items),
  });
}

export function usePlaceOrder() {
  const client = useQueryClient();
  return (body: Record<string, unknown>) =>
    api<Order>("/orders", { method: "POST", body, idempotent: true }).then((order) => {
      client.setQueriesData<Order[]>({ queryKey: ["orders"] }, (orders) =>
        orders && !orders.some((o) => o.id === order.id) ? [order, ...orders] : orders,
      );
      void client.invalidateQueries({ queryKey: ["account"] });
      return order;
    });
}

export function useOrderActions() {
  const client = useQueryClient();
  const refresh = () => void client.invalidateQueries({ queryKey: ["orders"] });
  return {
    cancel: useMutation({
      mutationFn: (id: string) => api<Order>(`/orders/${id}`, { method: "DELETE" }),
      onSuccess: refresh,
    }),
    cancelAll: useMutation({
      mutationFn: () => api<Page<Order>>("/orders", { method: "DELETE" }),
      onSuccess: refresh,
    }),
    replace: useMutation({
      mutationFn: ({ id, qty, limit_price }: { id: string; qty?: string; limit_price?: string }) => {
        const body: Record<string, string> = {};
        if (qty) body.qty = qty;
        if (limit_price) body.limit_price = limit_price;
        return api<Order>(`/orders/${id}`, { method: "PATCH", body, idempotent: true });
      },
      onSuccess: refresh,
    }),
  };
}
