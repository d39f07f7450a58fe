import { describe, expect, it } from "vitest";
import { Decimal } from "../lib/decimal";
import {
  buildOrder,
  estimatedFee,
  estimatedTotal,
  estimatedValue,
  initialTicket,
  visibleFields,
  type TicketState,
} from "./ticket";

const ticket = (patch: Partial<TicketState>): TicketState => ({ ...initialTicket, ...patch });
const prices = { bid: "99.50", ask: "100.25", last: "100.00" };

describe("ticket rules", () => {
  it("shows the fields each order type takes", () => {
    expect(visibleFields(ticket({ type: "market" }))).toMatchObject({ limit_price: false, stop_price: false, trail: false });
    expect(visibleFields(ticket({ type: "limit" }))).toMatchObject({ limit_price: true, stop_price: false });
    expect(visibleFields(ticket({ type: "stop" }))).toMatchObject({ limit_price: false, stop_price: true });
    expect(visibleFields(ticket({ type: "stop_limit" }))).toMatchObject({ limit_price: true, stop_price: true });
    expect(visibleFields(ticket({ type: "trailing_stop" }))).toMatchObject({ trail: true, limit_price: false });
    expect(visibleFields(ticket({ order_class: "bracket" }))).toMatchObject({ take_profit: true, stop_loss: true });
  });

  it("allows notional only for simple market buys", () => {
    expect(visibleFields(ticket({ type: "market", side: "buy" })).notionalAllowed).toBe(true);
    expect(visibleFields(ticket({ type: "market", side: "sell" })).notionalAllowed).toBe(false);
    expect(visibleFields(ticket({ type: "limit", side: "buy" })).notionalAllowed).toBe(false);
    expect(visibleFields(ticket({ type: "market", sizing: "notional", side: "sell" })).qty).toBe(true);
  });

  it("sends only the fields that apply (the API forbids extra ones)", () => {
    const { body } = buildOrder("ACME", ticket({ type: "limit", qty: "5", limit_price: "100.00", stop_price: "90", trail_price: "1" }));
    expect(body).toEqual({ symbol: "ACME", side: "buy", type: "limit", time_in_force: "day", qty: "5", limit_price: "100.00" });
    const market = buildOrder("ACME", ticket({ type: "market", sizing: "notional", notional: "250.50" })).body;
    expect(market).toEqual({ symbol: "ACME", side: "buy", type: "market", time_in_force: "day", notional: "250.50" });
  });

  it("builds a bracket and a trailing stop as API.md names them", () => {
    const bracket = buildOrder(
      "ACME",
      ticket({ qty: "1", limit_price: "100", order_class: "bracket", take_profit_limit: "110", stop_loss_stop: "95", stop_loss_limit: "94.5" }),
    ).body;
    expect(bracket).toMatchObject({ order_class: "bracket", take_profit: { limit_price: "110" }, stop_loss: { stop_price: "95", limit_price: "94.5" } });
    const trailing = buildOrder("ACME", ticket({ type: "trailing_stop", side: "sell", qty: "3", trail: "percent", trail_percent: "2.5" })).body;
    expect(trailing).toMatchObject({ type: "trailing_stop", trail_percent: "2.5" });
    expect(trailing).not.toHaveProperty("trail_price");
  });

  it("refuses missing or non-positive values, field by field", () => {
    const { body, errors } = buildOrder("ACME", ticket({ type: "stop_limit", qty: "0", limit_price: "abc" }));
    expect(body).toBeNull();
    expect(errors).toEqual({
      qty: "A quantity must be a positive number",
      limit_price: "A limit price must be a positive number",
      stop_price: "Enter a stop price",
    });
    const oto = buildOrder("ACME", ticket({ qty: "1", limit_price: "1", order_class: "oto", take_profit_limit: "2", stop_loss_stop: "0.5" }));
    expect(oto.errors["stop_loss.stop_price"]).toMatch(/one exit/);
  });

  it("estimates cost with decimals: limit price, stop price, or the touch for market orders", () => {
    expect(estimatedValue(ticket({ qty: "3", limit_price: "0.1" }), prices)?.toFixed()).toBe("0.3");
    expect(estimatedValue(ticket({ type: "stop", qty: "2", stop_price: "101.01" }), prices)?.toFixed()).toBe("202.02");
    expect(estimatedValue(ticket({ type: "market", qty: "4" }), prices)?.toFixed()).toBe("401");
    expect(estimatedValue(ticket({ type: "market", side: "sell", qty: "4" }), prices)?.toFixed()).toBe("398");
    expect(estimatedValue(ticket({ type: "market", qty: "4" }), { bid: null, ask: null, last: "10" })?.toFixed()).toBe("40");
    expect(estimatedValue(ticket({ type: "market", sizing: "notional", notional: "75.25" }), prices)?.toFixed()).toBe("75.25");
    expect(estimatedValue(ticket({ qty: "", limit_price: "1" }), prices)).toBeNull();
  });
});

describe("fees", () => {
  it("prices the taker fee half-up to the cent, like each fill's fee", () => {
    expect(estimatedFee(new Decimal("100.10"), 5)?.toFixed(2)).toBe("0.05"); // 0.05005
    expect(estimatedFee(new Decimal("30"), 5)?.toFixed(2)).toBe("0.02"); // 0.015 rounds up
    expect(estimatedFee(new Decimal("29.99"), 5)?.toFixed(2)).toBe("0.01"); // 0.014995
    expect(estimatedFee(new Decimal("1000"), 0)?.toFixed(2)).toBe("0.00");
    expect(estimatedFee(null, 5)).toBeNull();
    expect(estimatedFee(new Decimal("10"), undefined)).toBeNull();
  });

  it("adds the fee to a buy and takes it from a sell", () => {
    const fee = new Decimal("0.05");
    expect(estimatedTotal("buy", new Decimal("100"), fee)?.toFixed()).toBe("100.05");
    expect(estimatedTotal("sell", new Decimal("100"), fee)?.toFixed()).toBe("99.95");
    expect(estimatedTotal("buy", null, fee)).toBeNull();
  });
});
