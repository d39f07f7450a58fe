import { act, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { renderUi } from "../test/render";
import { LiveSocket } from "../ws/socket";
import { ConnectionBanner } from "./ConnectionBanner";
import { FakeSocket } from "../test/fakeSocket";

describe("connection banner and reconnecting socket", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.instances = [];
    vi.stubGlobal("WebSocket", FakeSocket);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("says when the connection is lost, reconnects with backoff, and says when it is back", async () => {
    renderUi(<ConnectionBanner />);
    const messages: unknown[] = [];
    const socket = new LiveSocket({ name: "test", url: () => "ws://x/ws/market", onMessage: (m) => messages.push(m) });
    await act(async () => {
      await Promise.resolve();
    });
    act(() => FakeSocket.instances[0]?.open());
    expect(screen.queryByText("Connection lost")).not.toBeInTheDocument();

    act(() => FakeSocket.instances[0]?.drop());
    expect(screen.getByText("Connection lost")).toBeInTheDocument();
    expect(FakeSocket.instances).toHaveLength(1); // it waits before trying again

    await act(async () => {
      await vi.advanceTimersByTimeAsync(600);
    });
    expect(FakeSocket.instances).toHaveLength(2);
    act(() => FakeSocket.instances[1]?.drop()); // the second attempt fails too: a longer wait
    await act(async () => {
      await vi.advanceTimersByTimeAsync(400);
    });
    expect(FakeSocket.instances).toHaveLength(2);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(FakeSocket.instances).toHaveLength(3);

    act(() => FakeSocket.instances[2]?.open());
    expect(screen.queryByText("Connection lost")).not.toBeInTheDocument();
    expect(screen.getByText("Connection restored")).toBeInTheDocument();
    act(() => FakeSocket.instances[2]?.onmessage?.({ data: '{"type":"trade"}' }));
    expect(messages).toEqual([{ type: "trade" }]);
    socket.close();
  });
});
