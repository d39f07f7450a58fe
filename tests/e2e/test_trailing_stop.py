"""Trailing stops through nginx, with every service, the exchange and the engine for real:
a trailing sell follows a rising price (its stop_price and hwm move up) and fires on the
fall; the mirror for a buy; 422 problems; another user's trailing order is a 404."""

from decimal import Decimal

import httpx
import pytest

from bourse.testing.api import Json, Trader, eventually, fresh_symbol, signup

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def symbol(api: httpx.AsyncClient) -> str:
    return await fresh_symbol(api)


@pytest.fixture(scope="module")
async def seller(api: httpx.AsyncClient, symbol: str) -> Trader:
    trader = await signup(api)
    await trader.deposit_shares(symbol, "100")
    return trader


@pytest.fixture(scope="module")
async def buyer(api: httpx.AsyncClient) -> Trader:
    trader = await signup(api)
    await trader.deposit("100000.00")
    return trader


async def print_trade(symbol: str, price: str, seller: Trader, buyer: Trader) -> None:
    """One share changes hands at ``price`` (a resting sell, then a buy that takes it)."""
    sell = await seller.order(symbol=symbol, side="sell", qty="1", limit_price=price)
    await seller.wait_status(sell["id"], "new")
    buy = await buyer.order(symbol=symbol, side="buy", qty="1", limit_price=price)
    await buyer.wait_status(buy["id"], "filled")


async def shows(trader: Trader, order_id: str, stop_price: str, hwm: str) -> Json:
    async def check() -> Json | None:
        order = await trader.order_status(order_id)
        moved = Decimal(order["stop_price"] or "-1") == Decimal(stop_price)
        return order if moved and Decimal(order["hwm"] or "-1") == Decimal(hwm) else None

    found: Json = await eventually(check)
    return found


async def trailing(trader: Trader, **body: str) -> Json:
    order = {"type": "trailing_stop", "time_in_force": "gtc", **body}
    response = await trader.post("/api/v1/orders", order)
    assert response.status_code == 202, response.text
    placed: Json = response.json()
    return placed


async def test_a_trailing_sell_follows_the_rise_and_fires_on_the_fall_then_a_buy_mirrors_it(
    api: httpx.AsyncClient, symbol: str, seller: Trader, buyer: Trader
) -> None:
    await print_trade(symbol, "100.00", seller, buyer)
    holder = await signup(api)
    await holder.deposit_shares(symbol, "10")
    sell = await trailing(holder, symbol=symbol, side="sell", qty="5", trail_price="2.00")
    assert (sell["trail_price"], sell["trail_percent"]) == ("2", None)
    await holder.wait_status(sell["id"], "new")
    await shows(holder, sell["id"], "98", "100")
    reserved = await holder.holding(symbol)
    assert Decimal(reserved["reserved_qty"]) == 5

    await print_trade(symbol, "105.00", seller, buyer)  # up: the stop follows
    await shows(holder, sell["id"], "103", "105")
    await print_trade(symbol, "104.00", seller, buyer)  # down, not through 103: it stays
    bid = await buyer.order(symbol=symbol, side="buy", qty="5", limit_price="102.00")
    await buyer.wait_status(bid["id"], "new")
    assert (await holder.order_status(sell["id"]))["status"] == "new"
    await shows(holder, sell["id"], "103", "105")  # never moved back down

    await print_trade(symbol, "102.50", seller, buyer)  # through 103: fires, sells into 102
    sold = await holder.wait_status(sell["id"], "filled")
    assert (sold["filled_qty"], sold["filled_avg_price"]) == ("5", "102")

    async def delivered() -> bool:  # trader-service settles the fill after order-service
        return Decimal((await holder.holding(symbol))["qty"]) == 5

    assert await eventually(delivered)

    # The mirror: a buy trailing 1% above the low, from the last price 102.
    shopper = await signup(api)
    await shopper.deposit("1000.00")
    buy = await trailing(shopper, symbol=symbol, side="buy", qty="2", trail_percent="1")
    await shopper.wait_status(buy["id"], "new")
    await shows(shopper, buy["id"], "103.02", "102")  # 1% of 102 = 1.02
    await print_trade(symbol, "100.00", seller, buyer)  # down: the stop follows
    await shows(shopper, buy["id"], "101", "100")
    ask = await seller.order(symbol=symbol, side="sell", qty="2", limit_price="101.50")
    await seller.wait_status(ask["id"], "new")
    await print_trade(symbol, "101.00", seller, buyer)  # up through 101: fires
    bought = await shopper.wait_status(buy["id"], "filled")
    assert (bought["filled_qty"], bought["filled_avg_price"]) == ("2", "101.5")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"trail_price": "1.00", "trail_percent": "1"}, "trail_ambiguous"),
        ({}, "trail_required"),
        ({"trail_price": "0"}, "invalid_trail"),
        ({"trail_price": "0.005"}, "invalid_tick_size"),
        ({"trail_percent": "-1"}, "invalid_trail"),
        ({"type": "limit", "limit_price": "10.00", "trail_price": "1.00"}, "trail_not_allowed"),
    ],
)
async def test_invalid_trailing_stops_are_422_problems(
    symbol: str, seller: Trader, body: Json, code: str
) -> None:
    order = {"symbol": symbol, "side": "sell", "qty": "1", "type": "trailing_stop"}
    response = await seller.post("/api/v1/orders", order | {"time_in_force": "gtc"} | body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


async def test_another_users_trailing_stop_is_a_404(
    api: httpx.AsyncClient, symbol: str, seller: Trader
) -> None:
    order = await trailing(seller, symbol=symbol, side="sell", qty="1", trail_percent="5")
    stranger = await signup(api)
    for method, path in (
        ("GET", f"/api/v1/orders/{order['id']}"),
        ("DELETE", f"/api/v1/orders/{order['id']}"),
    ):
        response = await stranger.api.request(method, path, headers=stranger.auth)
        assert response.status_code == 404, (method, path)
    cancel = await seller.delete(f"/api/v1/orders/{order['id']}")
    assert cancel.status_code == 202, cancel.text
    await seller.wait_status(order["id"], "canceled")
