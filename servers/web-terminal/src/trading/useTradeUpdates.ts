import { useQueryClient } from "@tanstack/react-query";
import { notifications } from "@mantine/notifications";
import { useEffect } from "react";
import type { Order, TradeUpdate } from "../api/types";
import { session } from "../auth/session";
import { formatPrice, formatQty } from "../lib/format";
import { LiveSocket, wsUrl } from "../ws/socket";

const SINCE_BEYOND_LAST = 4422;

/** /ws/trade-updates for the whole signed-in app: each change of the caller's orders
 * updates the cached order lists at once and refreshes account, fills and portfolio.
 * A reconnect asks for `?since=<last seq>` so no update is missed. */
export function useTradeUpdates(): void {
  const client = useQueryClient();

  useEffect(() => {
    let lastSeq: number | null = null;
    const socket = new LiveSocket({
      name: "trade-updates",
      url: async () => {
        const token = await session.token();
        if (!token) return null;
        const since = lastSeq === null ? "" : `&since=${lastSeq}`;
        return wsUrl(`/ws/trade-updates?token=${encodeURIComponent(token)}${since}`);
      },
      onMessage: (data) => {
        const update = data as TradeUpdate;
        if (update.type !== "trade_update") return;
        lastSeq = update.seq;
        applyOrder(update.order);
        if (update.event === "fill" || update.event === "partial_fill") {
          notifications.show({
            title: `${update.order.side === "buy" ? "Bought" : "Sold"} ${update.order.symbol}`,
            message: `${formatQty(update.qty)} @ ${formatPrice(update.price)}`,
            color: "teal",
          });
        }
        void client.invalidateQueries({ queryKey: ["account"] });
        void client.invalidateQueries({ queryKey: ["fills"] });
        void client.invalidateQueries({ queryKey: ["order", update.order.id] });
      },
      onClose: (code) => {
        if (code === SINCE_BEYOND_LAST) lastSeq = null;
        return undefined;
      },
    });

    function applyOrder(order: Order): void {
      client.setQueriesData<Order[]>({ queryKey: ["orders"] }, (orders) => {
        if (!orders) return orders;
        const index = orders.findIndex((existing) => existing.id === order.id);
        if (index === -1) return [order, ...orders];
        const next = orders.slice();
        next[index] = order;
        return next;
      });
    }

    return () => socket.close();
  }, [client]);
}
