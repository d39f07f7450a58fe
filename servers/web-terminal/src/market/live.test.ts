import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeSocket } from "../test/fakeSocket";
import { sortedLevels } from "./book";
import { useLiveBook } from "./live";

function push(socket: FakeSocket | undefined, message: unknown) {
  act(() => socket?.onmessage?.({ data: JSON.stringify(message) }));
}

describe("useLiveBook over /ws/market", () => {
  beforeEach(() => {
    FakeSocket.instances = [];
    vi.stubGlobal("WebSocket", FakeSocket);
  });
  afterEach(() => vi.unstubAllGlobals());

  it("subscribes, applies increments, and subscribes again for a snapshot after a gap", async () => {
    const { result, unmount } = renderHook(() => useLiveBook("ACME"));
    await act(async () => {
      await Promise.resolve();
    });
    const socket = FakeSocket.instances[0];
    expect(socket?.url).toMatch(/\/ws\/market$/);
    act(() => socket?.open());
    expect(JSON.parse(socket?.sent[0] ?? "{}")).toMatchObject({ action: "subscribe", book: ["ACME"] });

    push(socket, { type: "book_snapshot", symbol: "ACME", seq: 5, bids: [["10.00", "1"]], asks: [["10.50", "2"]] });
    push(socket, { type: "book_update", symbol: "ACME", seq: 6, bids: [["10.00", "0"]], asks: [] });
    expect(sortedLevels(result.current.book)).toEqual({ bids: [], asks: [["10.50", "2"]] });

    push(socket, { type: "book_update", symbol: "ACME", seq: 8, bids: [["9.00", "4"]], asks: [] }); // 7 is missing
    expect(result.current.resyncs).toBe(1);
    expect(JSON.parse(socket?.sent.at(-1) ?? "{}")).toEqual({ action: "subscribe", book: ["ACME"] });
    push(socket, { type: "book_update", symbol: "ACME", seq: 9, bids: [["8.00", "1"]], asks: [] }); // ignored until the snapshot
    expect(sortedLevels(result.current.book).bids).toEqual([]);

    push(socket, { type: "book_snapshot", symbol: "ACME", seq: 9, bids: [["9.00", "4"]], asks: [] });
    push(socket, { type: "book_update", symbol: "ACME", seq: 10, bids: [], asks: [["11.00", "3"]] });
    expect(sortedLevels(result.current.book)).toEqual({ bids: [["9.00", "4"]], asks: [["11.00", "3"]] });
    unmount();
  });
});
