/** Shapes of the public API (API.md); every money/price/qty is a decimal string. */
export type Dec = string;

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  created_at: string;
}

export interface Instrument {
  symbol: string;
  name: string;
  tick_size: Dec;
  lot_size: Dec;
  status: string;
  last_price: Dec | null;
  maker_fee_bps?: number;
  taker_fee_bps?: number;
}

export interface Quote {
  symbol: string;
  bid: Dec | null;
  bid_size: Dec | null;
  ask: Dec | null;
  ask_size: Dec | null;
  last?: Dec | null;
  last_size?: Dec | null;
  ts: string | null;
}

export type Level = [Dec, Dec];

export interface Book {
  bids: Level[];
  asks: Level[];
}

export interface Trade {
  id?: string;
  symbol: string;
  price: Dec;
  qty: Dec;
  taker_side: "buy" | "sell";
  seq: number;
  ts: string;
}

export interface Candle {
  start: string;
  open: Dec;
  high: Dec;
  low: Dec;
  close: Dec;
  volume: Dec;
  trades?: number;
}

export interface Snapshot {
  latest_trade: Trade | null;
  latest_quote: Quote;
  daily_bar: Candle | null;
  prev_daily_bar: Candle | null;
}

export interface Holding {
  symbol: string;
  qty: Dec;
  reserved_qty: Dec;
  available_qty: Dec;
}

export interface Account {
  user_id: string;
  currency: string;
  cash: Dec;
  reserved_cash: Dec;
  buying_power: Dec;
  holdings: Holding[];
}

export interface Watchlist {
  id: string;
  name: string;
  symbols: string[];
}

export type Side = "buy" | "sell";
export type OrderType = "market" | "limit" | "stop" | "stop_limit" | "trailing_stop";
export type TimeInForce = "day" | "gtc" | "ioc" | "fok";
export type OrderClass = "simple" | "bracket" | "oco" | "oto";

export interface Order {
  id: string;
  client_order_id: string | null;
  symbol: string;
  side: Side;
  type: OrderType;
  time_in_force: TimeInForce;
  qty: Dec | null;
  notional: Dec | null;
  limit_price: Dec | null;
  stop_price: Dec | null;
  trail_price?: Dec | null;
  trail_percent?: Dec | null;
  filled_qty: Dec;
  filled_avg_price: Dec | null;
  status: string;
  reject_reason: string | null;
  order_class?: OrderClass;
  legs?: Order[] | null;
  created_at: string;
  updated_at: string;
  filled_at: string | null;
  canceled_at: string | null;
}

export interface Fill {
  id: string;
  order_id: string;
  symbol: string;
  side: Side;
  qty: Dec;
  price: Dec;
  liquidity: string;
  fee?: Dec;
  created_at: string;
}

export interface TradeUpdate {
  type: "trade_update";
  event: string;
  order: Order;
  price?: Dec;
  qty?: Dec;
  position_qty?: Dec;
  timestamp: string;
  seq: number;
}

export interface Position {
  symbol: string;
  qty: Dec;
  avg_cost: Dec;
  market_price: Dec | null;
  market_value: Dec | null;
  unrealized_pl: Dec | null;
  realized_pl: Dec;
}

export interface Portfolio {
  cash: Dec;
  positions: Position[];
  equity: Dec;
  as_of: string;
}

export interface EquityHistory {
  timeframe: string;
  items: { ts: string; equity: Dec }[];
}

export interface Notification {
  id: string;
  type: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  created_at: string;
  read_at: string | null;
}

export interface NotificationPage extends Page<Notification> {
  unread_count: number;
}

export interface ApiKey {
  id: string;
  key_id: string;
  name: string;
  scopes: string[];
  created_at: string;
  secret?: string;
}

export interface RecurringOrder {
  id: string;
  symbol: string;
  side: Side;
  qty: Dec | null;
  notional: Dec | null;
  schedule: Record<string, unknown>;
  status: "active" | "paused" | "completed";
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
}

export interface Alert {
  id: string;
  symbol: string;
  condition: "above" | "below" | "crosses_above" | "crosses_below";
  price: Dec;
  action: "notify" | "order";
  status: "active" | "triggered" | "expired";
  expires_at: string | null;
  triggered_at: string | null;
  triggered_price: Dec | null;
  created_at: string;
}
