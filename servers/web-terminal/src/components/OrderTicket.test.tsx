import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ApiError, parseProblem } from "../api/problem";
import type { Account, Order } from "../api/types";
import { renderUi } from "../test/render";
import { OrderTicket } from "./OrderTicket";

const account: Account = {
  user_id: "u1",
  currency: "USD",
  cash: "2000",
  reserved_cash: "0",
  buying_power: "1999.5",
  holdings: [{ symbol: "ACME", qty: "10", reserved_qty: "4", available_qty: "6" }],
};
const prices = { bid: "99.00", ask: "100.50", last: "100.00" };

function setup(placeOrder = vi.fn<(body: Record<string, unknown>) => Promise<Order>>(), takerFeeBps?: number) {
  renderUi(
    <OrderTicket symbol="ACME" prices={prices} account={account} placeOrder={placeOrder} takerFeeBps={takerFeeBps} />,
  );
  return { placeOrder, user: userEvent.setup() };
}

function problem(status: number, body: unknown): ApiError {
  return new ApiError(parseProblem(status, body));
}

describe("OrderTicket", () => {
  it("shows the fields of each order type", async () => {
    const { user } = setup();
    const type = screen.getByLabelText("Order type");
    expect(screen.getByLabelText("Limit price")).toBeInTheDocument();
    expect(screen.queryByLabelText("Stop price")).not.toBeInTheDocument();
    await user.selectOptions(type, "stop_limit");
    expect(screen.getByLabelText("Limit price")).toBeInTheDocument();
    expect(screen.getByLabelText("Stop price")).toBeInTheDocument();
    await user.selectOptions(type, "trailing_stop");
    expect(screen.getByLabelText("Trail amount ($)")).toBeInTheDocument();
    expect(screen.queryByLabelText("Limit price")).not.toBeInTheDocument();
    await user.selectOptions(type, "market");
    await user.click(screen.getByText("Dollars"));
    expect(screen.getByLabelText("Amount (USD)")).toBeInTheDocument();
    expect(screen.queryByLabelText("Quantity")).not.toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Order class"), "bracket");
    expect(screen.getByLabelText("Take-profit limit price")).toBeInTheDocument();
    expect(screen.getByLabelText("Stop-loss stop price")).toBeInTheDocument();
    expect(screen.getByLabelText("Quantity")).toBeInTheDocument(); // notional is for simple orders only
  });

  it("shows the estimated cost and buying power, and proceeds and shares for a sell", async () => {
    const { user } = setup();
    await user.type(screen.getByLabelText("Quantity"), "3");
    await user.type(screen.getByLabelText("Limit price"), "19.99");
    expect(screen.getByTestId("estimated-cost")).toHaveTextContent("$59.97");
    expect(screen.getByTestId("buying-power")).toHaveTextContent("$1,999.50");
    await user.click(screen.getByText("Sell"));
    expect(screen.getByText("Estimated proceeds (before fees)")).toBeInTheDocument();
    expect(screen.getByTestId("buying-power")).toHaveTextContent("6");
    await user.selectOptions(screen.getByLabelText("Order type"), "market");
    expect(screen.getByTestId("estimated-cost")).toHaveTextContent("$297.00"); // 3 at the bid
  });

  it("adds the taker fee to a buy's cost and takes it from a sell's proceeds", async () => {
    const { user } = setup(undefined, 25);
    await user.type(screen.getByLabelText("Quantity"), "3");
    await user.type(screen.getByLabelText("Limit price"), "19.99");
    expect(screen.getByText("Estimated fee (25 bps)")).toBeInTheDocument();
    expect(screen.getByTestId("estimated-fee")).toHaveTextContent("$0.15"); // 59.97 x 0.0025 = 0.149925
    expect(screen.getByTestId("estimated-total")).toHaveTextContent("$60.12");
    await user.click(screen.getByText("Sell"));
    expect(screen.getByText("Estimated net proceeds")).toBeInTheDocument();
    expect(screen.getByTestId("estimated-total")).toHaveTextContent("$59.82");
  });

  it("shows no fee line when the instrument's fee is unknown", () => {
    setup();
    expect(screen.queryByTestId("estimated-fee")).not.toBeInTheDocument();
  });

  it("checks fields before sending", async () => {
    const { user, placeOrder } = setup();
    await user.click(screen.getByRole("button", { name: "Buy ACME" }));
    expect(await screen.findByText("Enter a quantity")).toBeInTheDocument();
    expect(screen.getByText("Enter a limit price")).toBeInTheDocument();
    expect(placeOrder).not.toHaveBeenCalled();
  });

  it("puts the API's 422 message at the field it names (Enter submits)", async () => {
    const placeOrder = vi.fn<(body: Record<string, unknown>) => Promise<Order>>().mockRejectedValue(
      problem(422, { status: 422, code: "invalid_tick_size", detail: "limit_price 100.005 is not a multiple of 0.01" }),
    );
    const { user } = setup(placeOrder);
    await user.type(screen.getByLabelText("Quantity"), "5");
    await user.type(screen.getByLabelText("Limit price"), "100.005{Enter}");
    expect(placeOrder).toHaveBeenCalledWith({ symbol: "ACME", side: "buy", type: "limit", time_in_force: "day", qty: "5", limit_price: "100.005" });
    const field = screen.getByLabelText("Limit price");
    await waitFor(() => expect(field).toHaveAttribute("aria-invalid", "true"));
    expect(screen.getByText("limit_price 100.005 is not a multiple of 0.01")).toBeInTheDocument();
  });

  it("maps validation_error locations to fields, and other problems to a message", async () => {
    const placeOrder = vi
      .fn<(body: Record<string, unknown>) => Promise<Order>>()
      .mockRejectedValueOnce(
        problem(422, {
          status: 422,
          code: "validation_error",
          detail: "the request is not valid",
          errors: [{ loc: ["body", "qty"], msg: "Input should be a valid decimal", type: "decimal_parsing" }],
        }),
      )
      .mockRejectedValueOnce(problem(409, { status: 409, code: "symbol_halted", detail: "ACME is halted" }));
    const { user } = setup(placeOrder);
    await user.type(screen.getByLabelText("Quantity"), "5");
    await user.type(screen.getByLabelText("Limit price"), "100{Enter}");
    expect(await screen.findByText("Input should be a valid decimal")).toBeInTheDocument();
    expect(screen.getByLabelText("Quantity")).toHaveAttribute("aria-invalid", "true");
    await user.click(screen.getByRole("button", { name: "Buy ACME" }));
    expect(await screen.findByText("ACME is halted")).toBeInTheDocument();
  });
});
