import { compareDecimal, isZero } from "../lib/decimal";
import type { Level } from "../api/types";

/** A live order book from /ws/market: a book_snapshot then book_update increments, each a
 * level's new total ("0" removes it), seq +1 per update; a gap means the book is stale and
 * the caller must subscribe again for a fresh snapshot. */
export interface BookState {
  symbol: string;
  seq: number;
  bids: Map<string, string>;
  asks: Map<string, string>;
}

export interface BookMessage {
  type: "book_snapshot" | "book_update";
  symbol: string;
  bids: Level[];
  asks: Level[];
  seq: number;
}

export type BookResult = { kind: "ok"; book: BookState } | { kind: "gap"; expected: number; got: number } | { kind: "ignored" };

function levels(entries: Level[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const [price, qty] of entries) if (!isZero(qty)) map.set(price, qty);
  return map;
}

function apply(side: Map<string, string>, entries: Level[]): Map<string, string> {
  const next = new Map(side);
  for (const [price, qty] of entries) {
    // the same price may come as "101.0" and "101.00": match by value
    const existing = [...next.keys()].find((key) => compareDecimal(key, price) === 0);
    if (existing !== undefined) next.delete(existing);
    if (!isZero(qty)) next.set(price, qty);
  }
  return next;
}

export function applyBookMessage(book: BookState | null, message: BookMessage): BookResult {
  if (message.type === "book_snapshot") {
    return {
      kind: "ok",
      book: { symbol: message.symbol, seq: message.seq, bids: levels(message.bids), asks: levels(message.asks) },
    };
  }
  if (!book || book.symbol !== message.symbol) return { kind: "ignored" };
  if (message.seq <= book.seq) return { kind: "ignored" }; // already in the snapshot
  if (message.seq !== book.seq + 1) return { kind: "gap", expected: book.seq + 1, got: message.seq };
  return {
    kind: "ok",
    book: { ...book, seq: message.seq, bids: apply(book.bids, message.bids), asks: apply(book.asks, message.asks) },
  };
}

/** Sorted levels: bids best (highest) first, asks best (lowest) first. */
export function sortedLevels(book: BookState | null, depth = 10): { bids: Level[]; asks: Level[] } {
  if (!book) return { bids: [], asks: [] };
  const bids = [...book.bids.entries()].sort((a, b) => compareDecimal(b[0], a[0])).slice(0, depth);
  const asks = [...book.asks.entries()].sort((a, b) => compareDecimal(a[0], b[0])).slice(0, depth);
  return { bids, asks };
}
