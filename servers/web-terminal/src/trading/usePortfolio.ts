import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { api } from "../api/http";
import type { Portfolio } from "../api/types";
import { session } from "../auth/session";
import { LiveSocket, wsUrl } from "../ws/socket";

export const portfolioKey = ["portfolio"] as const;

export function usePortfolio() {
  return useQuery({ queryKey: portfolioKey, queryFn: () => api<Portfolio>("/portfolio") });
}

/** /ws/portfolio: a snapshot then an update whenever a position, cash or a held symbol's
 * price changes; each frame is the whole portfolio and replaces the cached one. */
export function usePortfolioFeed(): void {
  const client = useQueryClient();
  useEffect(() => {
    const socket = new LiveSocket({
      name: "portfolio",
      url: async () => {
        const token = await session.token();
        return token ? wsUrl(`/ws/portfolio?token=${encodeURIComponent(token)}`) : null;
      },
      onMessage: (data) => {
        const frame = data as Portfolio & { type?: string };
        if (frame.type !== "snapshot" && frame.type !== "update") return;
        client.setQueryData<Portfolio>(portfolioKey, {
          cash: frame.cash,
          positions: frame.positions,
          equity: frame.equity,
          as_of: frame.as_of,
        });
        void client.invalidateQueries({ queryKey: ["account"] });
      },
    });
    return () => socket.close();
  }, [client]);
}
