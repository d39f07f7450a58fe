import { describe, expect, it } from "vitest";
import { applyBookMessage, sortedLevels, type BookState } from "./book";

const snapshot = {
  type: "book_snapshot" as const,
  symbol: "ACME",
  seq: 10,
  bids: [["99.00", "5"], ["100.00", "3"]] as [string, string][],
  asks: [["101.00", "2"], ["102.50", "7"]] as [string, string][],
};

function ok(result: ReturnType<typeof applyBookMessage>): BookState {
  if (result.kind !== "ok") throw new Error(`expected ok, got ${result.kind}`);
  return result.book;
}

describe("order book", () => {
  it("builds from a snapshot, sorted best first", () => {
    const book = ok(applyBookMessage(null, snapshot));
    expect(sortedLevels(book)).toEqual({
      bids: [["100.00", "3"], ["99.00", "5"]],
      asks: [["101.00", "2"], ["102.50", "7"]],
    });
  });

  it("applies increments as new level totals, and '0' removes a level", () => {
    let book = ok(applyBookMessage(null, snapshot));
    book = ok(applyBookMessage(book, { type: "book_update", symbol: "ACME", seq: 11, bids: [["100.00", "8"]], asks: [["101.00", "0"]] }));
    book = ok(applyBookMessage(book, { type: "book_update", symbol: "ACME", seq: 12, bids: [["100.50", "1"]], asks: [] }));
    expect(sortedLevels(book)).toEqual({
      bids: [["100.50", "1"], ["100.00", "8"], ["99.00", "5"]],
      asks: [["102.50", "7"]],
    });
    expect(book.seq).toBe(12);
  });

  it("matches a level by value whatever its trailing zeros", () => {
    let book = ok(applyBookMessage(null, snapshot));
    book = ok(applyBookMessage(book, { type: "book_update", symbol: "ACME", seq: 11, bids: [["99.0", "0"]], asks: [] }));
    expect(sortedLevels(book).bids).toEqual([["100.00", "3"]]);
  });

  it("detects a gap in seq (the caller resubscribes)", () => {
    const book = ok(applyBookMessage(null, snapshot));
    const result = applyBookMessage(book, { type: "book_update", symbol: "ACME", seq: 13, bids: [], asks: [] });
    expect(result).toEqual({ kind: "gap", expected: 11, got: 13 });
  });

  it("ignores updates already in the snapshot and updates before any snapshot", () => {
    const book = ok(applyBookMessage(null, snapshot));
    expect(applyBookMessage(book, { type: "book_update", symbol: "ACME", seq: 10, bids: [], asks: [] }).kind).toBe("ignored");
    expect(applyBookMessage(null, { type: "book_update", symbol: "ACME", seq: 1, bids: [], asks: [] }).kind).toBe("ignored");
  });

  it("a new snapshot replaces the book entirely", () => {
    const book = ok(applyBookMessage(null, snapshot));
    const fresh = ok(applyBookMessage(book, { ...snapshot, seq: 40, bids: [["98.00", "1"]], asks: [] }));
    expect(sortedLevels(fresh)).toEqual({ bids: [["98.00", "1"]], asks: [] });
    expect(fresh.seq).toBe(40);
  });
});
