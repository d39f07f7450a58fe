"""Order classes and closing positions through nginx, every service running for real:
a bracket's take-profit fills on a later trade and its stop-loss is cancelled; cancelling
the parent cancels its legs; closing part of a position (qty, percentage) and all of it
(cancelling open orders first); another user's legs and positions are 404s. The fault
test SIGKILLs this instance's order-service while an entry's fill is being applied: after
the restart its legs exist exactly once."""

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from types import ModuleType

import asyncpg
import httpx
import pytest

from bourse.testing.api import Json, Trader, eventually, fresh_symbol, money, signup

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def symbol(api: httpx.AsyncClient) -> str:
    return await fresh_symbol(api)


async def seller_of(api: httpx.AsyncClient, symbol: str, qty: str = "100") -> Trader:
    trader = await signup(api)
    await trader.deposit_shares(symbol, qty)
    return trader


async def buyer_of(api: httpx.AsyncClient, cash: str = "100000.00") -> Trader:
    trader = await signup(api)
    await trader.deposit(cash)
    return trader


def bracket(symbol: str, qty: str, limit: str, take: str, stop: str) -> Json:
    return {
        "symbol": symbol, "side": "buy", "qty": qty, "limit_price": limit,
        "order_class": "bracket", "take_profit": {"limit_price": take},
        "stop_loss": {"stop_price": stop},
    }  # fmt: skip


async def legs_of(trader: Trader, order_id: str, count: int) -> list[Json]:
    async def enough() -> list[Json] | None:
        legs: list[Json] = (await trader.order_status(order_id))["legs"]
        return legs if len(legs) >= count else None

    found: list[Json] = await eventually(enough)
    return found


async def open_orders(trader: Trader) -> list[Json]:
    items: list[Json] = (await trader.get("/api/v1/orders", params={"status": "open"})).json()[
        "items"
    ]
    return items


async def test_a_bracket_take_profit_fills_and_its_stop_loss_is_cancelled(
    api: httpx.AsyncClient, symbol: str
) -> None:
    seller, buyer, taker = await seller_of(api, symbol), await buyer_of(api), await buyer_of(api)
    sell = await seller.order(symbol=symbol, side="sell", qty="10", limit_price="100.00")
    await seller.wait_status(sell["id"], "new")
    entry = await buyer.order(**bracket(symbol, "10", "100.00", "105.00", "90.00"))
    assert entry["order_class"] == "bracket" and entry["legs"] == []
    await buyer.wait_status(entry["id"], "filled")
    take, stop = await legs_of(buyer, entry["id"], 2)
    assert (take["side"], take["type"], take["qty"], take["limit_price"]) == (
        "sell", "limit", "10", "105",
    )  # fmt: skip
    assert (stop["type"], stop["qty"], stop["stop_price"]) == ("stop", "10", "90")
    await buyer.wait_status(take["id"], "new")  # on the book, the bought shares reserved
    assert money((await buyer.holding(symbol))["reserved_qty"]) == 10

    later = await taker.order(symbol=symbol, side="buy", qty="10", limit_price="105.00")
    await taker.wait_status(later["id"], "filled")
    await buyer.wait_status(take["id"], "filled")
    await buyer.wait_status(stop["id"], "canceled")
    legs = (await buyer.order_status(entry["id"]))["legs"]
    assert [leg["status"] for leg in legs] == ["filled", "canceled"]

    async def flat() -> bool:
        return money((await buyer.holding(symbol))["qty"]) == 0

    await eventually(flat)
    assert await open_orders(buyer) == []


async def test_cancelling_the_parent_cancels_its_legs_and_legs_are_private(
    api: httpx.AsyncClient, symbol: str
) -> None:
    seller, buyer, other = await seller_of(api, symbol), await buyer_of(api), await signup(api)
    entry = await buyer.order(**bracket(symbol, "10", "99.00", "120.00", "80.00"))
    await buyer.wait_status(entry["id"], "new")
    await seller.order(symbol=symbol, side="sell", qty="4", limit_price="99.00")
    await buyer.wait_status(entry["id"], "partially_filled")
    take, stop = await legs_of(buyer, entry["id"], 2)
    assert take["qty"] == stop["qty"] == "4"  # in proportion to the fill
    for leg in (take, stop):
        assert (await other.get(f"/api/v1/orders/{leg['id']}")).status_code == 404
        assert (await other.delete(f"/api/v1/orders/{leg['id']}")).status_code == 404
    await buyer.wait_status(take["id"], "new")

    canceled = await buyer.delete(f"/api/v1/orders/{entry['id']}")
    assert canceled.status_code == 202, canceled.text
    await buyer.wait_status(entry["id"], "canceled")
    await buyer.wait_status(take["id"], "canceled")
    await buyer.wait_status(stop["id"], "canceled")
    assert await open_orders(buyer) == []


async def test_closing_part_then_all_of_a_position(api: httpx.AsyncClient) -> None:
    symbol = await fresh_symbol(api)
    seller, bidder, closer = await seller_of(api, symbol), await buyer_of(api), await signup(api)
    seed = await seller.order(symbol=symbol, side="sell", qty="1", limit_price="100.00")
    await bidder.order(symbol=symbol, side="buy", qty="1", limit_price="100.00")
    await seller.wait_status(seed["id"], "filled")  # a last price for market orders
    bid = await bidder.order(symbol=symbol, side="buy", qty="50", limit_price="99.00")
    await bidder.wait_status(bid["id"], "new")
    await closer.deposit_shares(symbol, "20")

    missing = await closer.delete("/api/v1/positions/NOPE")
    assert (missing.status_code, missing.json()["code"]) == (404, "position_not_found")
    stranger = await (await signup(api)).delete(f"/api/v1/positions/{symbol}")
    assert (stranger.status_code, stranger.json()["code"]) == (404, "position_not_found")
    for query, code in (
        ("qty=21", "insufficient_position"),
        ("percentage=0", "invalid_percentage"),
        ("qty=1&percentage=5", "invalid_close"),
        ("qty=abc", "validation_error"),
    ):
        refused = await closer.delete(f"/api/v1/positions/{symbol}?{query}")
        assert (refused.status_code, refused.json()["code"]) == (422, code), refused.text

    await _close(closer, symbol, "qty=5", "5", left=15)
    await _close(closer, symbol, "percentage=20", "3", left=12)  # 20% of 15, to the lot

    resting = await closer.order(symbol=symbol, side="sell", qty="5", limit_price="200.00")
    await closer.wait_status(resting["id"], "new")
    response = await closer.delete("/api/v1/positions?cancel_orders=true")
    assert response.status_code == 202, response.text
    [close] = response.json()["items"]
    assert (close["symbol"], close["side"], close["type"], close["qty"]) == (
        symbol, "sell", "market", "12",
    )  # fmt: skip
    await closer.wait_status(resting["id"], "canceled")
    await closer.wait_status(close["id"], "filled")

    async def flat() -> bool:
        held = await closer.holding(symbol)
        return money(held["qty"]) == 0 and money(held["reserved_qty"]) == 0

    await eventually(flat)
    assert await open_orders(closer) == []
    assert (await closer.delete("/api/v1/positions")).json() == {"items": []}


async def _close(trader: Trader, symbol: str, query: str, qty: str, left: int) -> None:
    response = await trader.delete(f"/api/v1/positions/{symbol}?{query}")
    assert response.status_code == 202, response.text
    order = response.json()
    assert (order["side"], order["type"], order["qty"]) == ("sell", "market", qty)
    await trader.wait_status(order["id"], "filled")

    async def sold() -> bool:
        return money((await trader.holding(symbol))["qty"]) == left

    await eventually(sold)


@pytest.mark.fault
async def test_order_service_killed_while_applying_an_entry_fill_places_legs_once(
    api: httpx.AsyncClient, tools: ModuleType, wait_ready: Callable[..., Awaitable[None]]
) -> None:
    """The entry's row is held locked from outside, so order-service's consumer blocks in
    the transaction that records the fill and places the legs; it is SIGKILLed there.
    After the restart the report is applied again: the legs exist exactly once."""
    await wait_ready()
    symbol = await fresh_symbol(api)
    seller, buyer = await seller_of(api, symbol), await buyer_of(api)
    entry = await buyer.order(**bracket(symbol, "6", "100.00", "110.00", "90.00"))
    await buyer.wait_status(entry["id"], "new")
    database = tools.BY_NAME["order"].database
    conn = await asyncpg.connect(tools.database_url(database).replace("+asyncpg", ""))
    try:
        lock = conn.transaction()
        await lock.start()
        await conn.execute("SELECT 1 FROM orders WHERE id = $1 FOR UPDATE", entry["id"])
        sell = await seller.order(symbol=symbol, side="sell", qty="6", limit_price="100.00")

        async def traded() -> bool:  # the exchange matched; order-service waits on the lock
            tape = await api.get(f"/api/v1/stocks/{symbol}/trades")
            return any(t["price"] == "100" for t in tape.json()["items"])

        await eventually(traded)
        await asyncio.sleep(0.5)
        assert (await buyer.order_status(entry["id"]))["status"] == "new"
        programs = [p for p in tools.process_states() or {} if p.split("-")[0] == "order"]
        assert programs, "order-service is not running"
        with tools.supervisor() as proxy:  # every instance: any may hold the consumer
            for program in programs:
                proxy.supervisor.signalProcess(program, "KILL")
        await lock.rollback()
    finally:
        await conn.close()
    await wait_ready()
    await buyer.wait_status(entry["id"], "filled", timeout=60)
    await seller.wait_status(sell["id"], "filled", timeout=60)
    legs = await legs_of(buyer, entry["id"], 2)
    await asyncio.sleep(2.0)  # anything applied twice would show by now
    legs = (await buyer.order_status(entry["id"]))["legs"]
    assert [(leg["type"], leg["qty"]) for leg in legs] == [("limit", "6"), ("stop", "6")]
    fills = (await buyer.get(f"/api/v1/orders/{entry['id']}/fills")).json()["items"]
    assert sum(money(f["qty"]) for f in fills) == Decimal(6)
