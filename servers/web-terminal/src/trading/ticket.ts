import type { OrderClass, OrderType, Side, TimeInForce } from "../api/types";
import { dec, Decimal } from "../lib/decimal";

/** The order ticket's state and the pure rules behind it: which fields each order type and
 * class shows, the body sent to POST /orders (only the fields that apply: the API forbids
 * extra ones), client-side checks, and the estimated cost (decimal arithmetic only). */
export interface TicketState {
  side: Side;
  type: OrderType;
  sizing: "qty" | "notional";
  qty: string;
  notional: string;
  limit_price: string;
  stop_price: string;
  trail: "price" | "percent";
  trail_price: string;
  trail_percent: string;
  time_in_force: TimeInForce;
  order_class: OrderClass;
  take_profit_limit: string;
  stop_loss_stop: string;
  stop_loss_limit: string;
  client_order_id: string;
}

export const initialTicket: TicketState = {
  side: "buy",
  type: "limit",
  sizing: "qty",
  qty: "",
  notional: "",
  limit_price: "",
  stop_price: "",
  trail: "price",
  trail_price: "",
  trail_percent: "",
  time_in_force: "day",
  order_class: "simple",
  take_profit_limit: "",
  stop_loss_stop: "",
  stop_loss_limit: "",
  client_order_id: "",
};

export const ORDER_TYPES: { value: OrderType; label: string }[] = [
  { value: "market", label: "Market" },
  { value: "limit", label: "Limit" },
  { value: "stop", label: "Stop" },
  { value: "stop_limit", label: "Stop limit" },
  { value: "trailing_stop", label: "Trailing stop" },
];

export const TIME_IN_FORCE: { value: TimeInForce; label: string }[] = [
  { value: "day", label: "Day" },
  { value: "gtc", label: "Good till canceled" },
  { value: "ioc", label: "Immediate or cancel" },
  { value: "fok", label: "Fill or kill" },
];

export const ORDER_CLASSES: { value: OrderClass; label: string }[] = [
  { value: "simple", label: "Simple" },
  { value: "bracket", label: "Bracket (entry + take-profit + stop-loss)" },
  { value: "oco", label: "OCO (take-profit or stop-loss)" },
  { value: "oto", label: "OTO (entry + one exit)" },
];

export interface VisibleFields {
  notionalAllowed: boolean;
  qty: boolean;
  notional: boolean;
  limit_price: boolean;
  stop_price: boolean;
  trail: boolean;
  take_profit: boolean;
  stop_loss: boolean;
}

export function visibleFields(state: TicketState): VisibleFields {
  const notionalAllowed = state.type === "market" && state.side === "buy" && state.order_class === "simple";
  const notional = notionalAllowed && state.sizing === "notional";
  const exits = state.order_class !== "simple";
  return {
    notionalAllowed,
    qty: !notional,
    notional,
    limit_price: state.type === "limit" || state.type === "stop_limit",
    stop_price: state.type === "stop" || state.type === "stop_limit",
    trail: state.type === "trailing_stop",
    take_profit: exits,
    stop_loss: exits,
  };
}

export type TicketErrors = Record<string, string>;

function positive(value: string): boolean {
  const d = dec(value);
  return d !== null && d.greaterThan(0);
}

function need(errors: TicketErrors, field: string, value: string, what: string): void {
  if (!value.trim()) errors[field] = `Enter ${what}`;
  else if (!positive(value)) errors[field] = `${what[0]?.toUpperCase()}${what.slice(1)} must be a positive number`;
}

/** The request body, or the errors that keep it from being sent. */
export function buildOrder(symbol: string, state: TicketState): { body: Record<string, unknown> | null; errors: TicketErrors } {
  const fields = visibleFields(state);
  const errors: TicketErrors = {};
  const body: Record<string, unknown> = {
    symbol,
    side: state.side,
    type: state.type,
    time_in_force: state.time_in_force,
  };
  if (fields.notional) {
    need(errors, "notional", state.notional, "an amount");
    body.notional = state.notional.trim();
  } else {
    need(errors, "qty", state.qty, "a quantity");
    body.qty = state.qty.trim();
  }
  if (fields.limit_price) {
    need(errors, "limit_price", state.limit_price, "a limit price");
    body.limit_price = state.limit_price.trim();
  }
  if (fields.stop_price) {
    need(errors, "stop_price", state.stop_price, "a stop price");
    body.stop_price = state.stop_price.trim();
  }
  if (fields.trail) {
    if (state.trail === "price") {
      need(errors, "trail_price", state.trail_price, "a trail amount");
      body.trail_price = state.trail_price.trim();
    } else {
      need(errors, "trail_percent", state.trail_percent, "a trail percentage");
      body.trail_percent = state.trail_percent.trim();
    }
  }
  if (state.order_class !== "simple") {
    body.order_class = state.order_class;
    const takeProfit = state.take_profit_limit.trim();
    const stopLoss = state.stop_loss_stop.trim();
    const both = state.order_class === "bracket" || state.order_class === "oco";
    if (both || takeProfit) need(errors, "take_profit.limit_price", takeProfit, "a take-profit limit price");
    if (both || stopLoss || !takeProfit) need(errors, "stop_loss.stop_price", stopLoss, "a stop-loss stop price");
    if (state.order_class === "oto" && takeProfit && stopLoss) {
      errors["stop_loss.stop_price"] = "OTO takes one exit: a take-profit or a stop-loss, not both";
    }
    if (takeProfit) body.take_profit = { limit_price: takeProfit };
    if (stopLoss) {
      const stop: Record<string, string> = { stop_price: stopLoss };
      if (state.stop_loss_limit.trim()) {
        need(errors, "stop_loss.limit_price", state.stop_loss_limit, "a stop-loss limit price");
        stop.limit_price = state.stop_loss_limit.trim();
      }
      body.stop_loss = stop;
    }
  }
  if (state.client_order_id.trim()) body.client_order_id = state.client_order_id.trim();
  return { body: Object.keys(errors).length ? null : body, errors };
}

export interface MarketPrices {
  bid: string | null;
  ask: string | null;
  last: string | null;
}

/** The fee of the order's fills if they all take liquidity (the usual case of an order sent
 * at the touch): ``taker_fee_bps`` of its value, rounded half-up to the cent as each fill's
 * fee is. null when the value or the rate is unknown. */
export function estimatedFee(value: Decimal | null, takerFeeBps: number | undefined): Decimal | null {
  if (!value || takerFeeBps === undefined) return null;
  return value.times(takerFeeBps).dividedBy(10_000).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
}

/** What a buy costs with its fee, or what a sell brings after it. */
export function estimatedTotal(side: Side, value: Decimal | null, fee: Decimal | null): Decimal | null {
  if (!value || !fee) return null;
  return side === "buy" ? value.plus(fee) : value.minus(fee);
}

/** What the order would cost (buy) or bring (sell) before fees, at the price it names or,
 * for market and trailing orders, at the touch (ask to buy, bid to sell) or the last trade. */
export function estimatedValue(state: TicketState, prices: MarketPrices): Decimal | null {
  const fields = visibleFields(state);
  if (fields.notional) return positive(state.notional) ? dec(state.notional) : null;
  const qty = dec(state.qty);
  if (!qty || !qty.greaterThan(0)) return null;
  let price: Decimal | null;
  if (fields.limit_price) price = dec(state.limit_price);
  else if (state.type === "stop") price = dec(state.stop_price);
  else price = dec(state.side === "buy" ? prices.ask : prices.bid) ?? dec(prices.last);
  return price && price.greaterThan(0) ? qty.times(price) : null;
}
