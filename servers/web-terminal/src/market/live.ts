import { useEffect, useState } from "react";
import type { Quote, Trade } from "../api/types";
import { applyBookMessage, type BookMessage, type BookState } from "./book";
import { marketFeed, type MarketMessage } from "./feed";

export interface LiveTop {
  last: string | null;
  bid: string | null;
  ask: string | null;
  bidSize: string | null;
  askSize: string | null;
}

/** Last trade price and top of book of a symbol, from a starting point then /ws/market. */
export function useLiveTop(symbol: string, initial: LiveTop): LiveTop {
  // what arrived live, for this symbol; a field not seen live yet comes from `initial`
  const [live, setLive] = useState<{ symbol: string; top: Partial<LiveTop> }>({ symbol, top: {} });
  const seen = live.symbol === symbol ? live.top : {};

  useEffect(() => {
    const merge = (part: Partial<LiveTop>) =>
      setLive((current) => ({ symbol, top: { ...(current.symbol === symbol ? current.top : {}), ...part } }));
    const stopTrades = marketFeed.subscribe("trades", symbol, (message) => {
      merge({ last: (message as unknown as Trade).price });
    });
    const stopQuotes = marketFeed.subscribe("quotes", symbol, (message) => {
      const quote = message as unknown as Quote;
      merge({ bid: quote.bid, ask: quote.ask, bidSize: quote.bid_size, askSize: quote.ask_size });
    });
    return () => {
      stopTrades();
      stopQuotes();
    };
  }, [symbol]);

  return { ...initial, ...seen };
}

/** The live tape: trades as they print, newest first, after the ones already known. */
export function useLiveTrades(symbol: string, initial: Trade[] | undefined, keep = 50): Trade[] {
  const [state, setState] = useState<{ symbol: string; trades: Trade[] }>({ symbol, trades: [] });
  const live = state.symbol === symbol ? state.trades : [];
  useEffect(() => {
    return marketFeed.subscribe("trades", symbol, (message) => {
      const trade = message as unknown as Trade;
      setState((current) => ({
        symbol,
        trades: [trade, ...(current.symbol === symbol ? current.trades : [])].slice(0, keep),
      }));
    });
  }, [symbol, keep]);
  const seen = new Set(live.map((trade) => trade.seq));
  return [...live, ...(initial ?? []).filter((trade) => !seen.has(trade.seq))].slice(0, keep);
}

/** The live order book (snapshot + increments; a seq gap resubscribes for a new snapshot). */
export function useLiveBook(symbol: string): { book: BookState | null; resyncs: number } {
  const [state, setState] = useState<{ symbol: string; book: BookState | null; resyncs: number }>({
    symbol,
    book: null,
    resyncs: 0,
  });
  useEffect(() => {
    let resyncs = 0;
    let book: BookState | null = null;
    let waiting = false;
    const stop = marketFeed.subscribe("book", symbol, (message: MarketMessage) => {
      const msg = message as unknown as BookMessage;
      if (waiting && msg.type !== "book_snapshot") return;
      const result = applyBookMessage(book, msg);
      if (result.kind === "gap") {
        waiting = true;
        marketFeed.resyncBook(symbol);
        resyncs += 1;
        setState({ symbol, book, resyncs });
        return;
      }
      if (result.kind === "ok") {
        waiting = false;
        book = result.book;
        setState({ symbol, book, resyncs });
      }
    });
    return stop;
  }, [symbol]);
  return state.symbol === symbol ? state : { book: null, resyncs: 0 };
}

/** Every bar and trade of a symbol, for the chart to fold into its candles. */
export function useMarketEvents(symbol: string, onEvent: (message: MarketMessage) => void): void {
  useEffect(() => {
    const stopBars = marketFeed.subscribe("bars", symbol, onEvent);
    const stopTrades = marketFeed.subscribe("trades", symbol, onEvent);
    return () => {
      stopBars();
      stopTrades();
    };
  }, [symbol, onEvent]);
}
