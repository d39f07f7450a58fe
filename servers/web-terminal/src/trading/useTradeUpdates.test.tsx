import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Order } from "../api/types";
import { session } from "../auth/session";
import { FakeSocket } from "../test/fakeSocket";
import { useTradeUpdates } from "./useTradeUpdates";

const order = (status: string): Order =>
  ({ id: "o1", symbol: "ACME", side: "buy", type: "limit", status, qty: "5", filled_qty: status === "filled" ? "5" : "0" }) as Order;

describe("useTradeUpdates", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.instances = [];
    vi.stubGlobal("WebSocket", FakeSocket);
    session.set({ access_token: "tok", refresh_token: "r", expires_in: 900 });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    session.clear();
  });

  it("patches cached orders live and reconnects with ?since=<last seq>", async () => {
    const client = new QueryClient();
    client.setQueryData(["orders", "all", ""], [order("new")]);
    const wrapper = ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
    const { unmount } = renderHook(() => useTradeUpdates(), { wrapper });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(0);
    });
    const first = FakeSocket.instances[0];
    expect(first?.url).toMatch(/\/ws\/trade-updates\?token=tok$/);
    act(() => first?.open());
    act(() =>
      first?.onmessage?.({
        data: JSON.stringify({ type: "trade_update", event: "fill", order: order("filled"), price: "10", qty: "5", seq: 7, timestamp: "" }),
      }),
    );
    expect(client.getQueryData<Order[]>(["orders", "all", ""])?.[0]?.status).toBe("filled");

    act(() => first?.drop());
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(FakeSocket.instances[1]?.url).toMatch(/\?token=tok&since=7$/);
    unmount();
  });
});
