import { LiveSocket, wsUrl } from "../ws/socket";

/** One shared /ws/market connection for the whole app: components subscribe to a channel
 * of a symbol and get its messages; the socket's subscription is the union of what is
 * wanted, sent again after every reconnect. */
export type Channel = "trades" | "quotes" | "book" | "bars";

export interface MarketMessage {
  type: string;
  symbol?: string;
  [key: string]: unknown;
}

type Handler = (message: MarketMessage) => void;

const CHANNEL_OF: Record<string, Channel> = {
  trade: "trades",
  quote: "quotes",
  book_snapshot: "book",
  book_update: "book",
  bar: "bars",
};

class MarketFeed {
  private socket: LiveSocket | null = null;
  private handlers = new Map<string, Set<Handler>>(); // `${channel}:${symbol}`

  subscribe(channel: Channel, symbol: string, handler: Handler): () => void {
    const key = `${channel}:${symbol}`;
    let set = this.handlers.get(key);
    const fresh = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(key, set);
    }
    set.add(handler);
    this.ensureSocket();
    if (fresh) this.socket?.send({ action: "subscribe", [channel]: [symbol] });
    return () => {
      set.delete(handler);
      if (set.size === 0) {
        this.handlers.delete(key);
        this.socket?.send({ action: "unsubscribe", [channel]: [symbol] });
      }
      if (this.handlers.size === 0) {
        this.socket?.close();
        this.socket = null;
      }
    };
  }

  /** Subscribe to a book again: the server answers with a fresh snapshot (after a gap). */
  resyncBook(symbol: string): void {
    this.socket?.send({ action: "subscribe", book: [symbol] });
  }

  private ensureSocket(): void {
    if (this.socket) return;
    this.socket = new LiveSocket({
      name: "market",
      url: () => wsUrl("/ws/market"),
      onOpen: (socket) => {
        const wanted: Record<Channel, string[]> = { trades: [], quotes: [], book: [], bars: [] };
        for (const key of this.handlers.keys()) {
          const [channel, symbol] = key.split(":") as [Channel, string];
          wanted[channel].push(symbol);
        }
        socket.send(JSON.stringify({ action: "subscribe", ...wanted }));
      },
      onMessage: (data) => this.dispatch(data as MarketMessage),
    });
  }

  private dispatch(message: MarketMessage): void {
    const channel = CHANNEL_OF[message.type];
    if (!channel || !message.symbol) return;
    for (const handler of this.handlers.get(`${channel}:${message.symbol}`) ?? []) handler(message);
  }
}

export const marketFeed = new MarketFeed();
