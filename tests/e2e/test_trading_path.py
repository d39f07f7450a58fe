"""A trader's path from sign-up to a settled trade, through nginx, with every service,
RabbitMQ and PostgreSQL running for real (the issue's proof list, one test per item)."""

import uuid
from decimal import Decimal

import httpx
import pytest

from bourse.testing.api import Trader, eventually, fresh_symbol, money, signup

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def symbol(api: httpx.AsyncClient) -> str:
    return await fresh_symbol(api)


@pytest.fixture
async def buyer(api: httpx.AsyncClient) -> Trader:
    trader = await signup(api)
    await trader.deposit("10000.00")
    return trader


@pytest.fixture
async def seller(api: httpx.AsyncClient, symbol: str) -> Trader:
    trader = await signup(api)
    await trader.deposit_shares(symbol, "50")
    return trader


async def test_a_new_user_has_an_empty_usd_account(api: httpx.AsyncClient) -> None:
    trader = await signup(api)
    account = await trader.account()
    assert account["currency"] == "USD"
    assert money(account["cash"]) == Decimal(0)
    assert account["holdings"] == []
    assert account["user_id"] == trader.user_id


async def test_a_resting_sell_crossed_by_a_buy_settles_both_sides_exactly(
    symbol: str, buyer: Trader, seller: Trader
) -> None:
    sell = await seller.order(symbol=symbol, side="sell", qty="10", limit_price="100.00")
    await seller.wait_status(sell["id"], "new")
    buy = await buyer.order(symbol=symbol, side="buy", qty="10", limit_price="101.00")

    bought = await buyer.wait_status(buy["id"], "filled")
    sold = await seller.wait_status(sell["id"], "filled")
    assert (bought["filled_qty"], bought["filled_avg_price"]) == ("10", "100")  # maker's price
    assert (sold["filled_qty"], sold["filled_avg_price"]) == ("10", "100")

    async def settled() -> bool:
        b, s = await buyer.account(), await seller.account()
        return money(b["reserved_cash"]) == 0 and money(s["cash"]) == 1000

    await eventually(settled)
    b_account, s_account = await buyer.account(), await seller.account()
    assert money(b_account["cash"]) == Decimal("9000.00")  # 10000 - 10 x 100
    assert money(b_account["buying_power"]) == Decimal("9000.00")  # the extra 1/share released
    assert money((await buyer.holding(symbol))["qty"]) == 10
    assert money(s_account["cash"]) == Decimal("1000.00")
    held = await seller.holding(symbol)
    assert (money(held["qty"]), money(held["reserved_qty"])) == (Decimal(40), Decimal(0))

    for trader, order, liquidity in ((buyer, buy, "taker"), (seller, sell, "maker")):
        fills = (await trader.get("/api/v1/fills")).json()["items"]
        mine = [f for f in fills if f["order_id"] == order["id"]]
        assert [(f["qty"], f["price"], f["liquidity"]) for f in mine] == [("10", "100", liquidity)]


async def test_a_cancelled_resting_order_releases_its_reservation(
    symbol: str, buyer: Trader
) -> None:
    order = await buyer.order(symbol=symbol, side="buy", qty="5", limit_price="50.00")
    await buyer.wait_status(order["id"], "new")
    assert money((await buyer.account())["reserved_cash"]) == Decimal("250.00")
    response = await buyer.delete(f"/api/v1/orders/{order['id']}")
    assert response.status_code == 202 and response.json()["status"] == "pending_cancel"
    await buyer.wait_status(order["id"], "canceled")

    async def released() -> bool:
        return money((await buyer.account())["reserved_cash"]) == 0

    await eventually(released)
    assert money((await buyer.account())["buying_power"]) == Decimal("10000.00")


async def test_a_replaced_order_moves_its_reservation_to_the_new_order(
    symbol: str, buyer: Trader
) -> None:
    old = await buyer.order(symbol=symbol, side="buy", qty="5", limit_price="40.00")
    await buyer.wait_status(old["id"], "new")
    response = await buyer.api.patch(
        f"/api/v1/orders/{old['id']}", json={"qty": "8", "limit_price": "41.00"}, headers=buyer.auth
    )
    assert response.status_code == 202, response.text
    new = response.json()
    assert (new["replaces"], new["qty"], new["limit_price"]) == (old["id"], "8", "41")
    assert (await buyer.wait_status(old["id"], "replaced"))["replaced_by"] == new["id"]
    await buyer.wait_status(new["id"], "new")

    async def moved() -> bool:  # 5 x 40 released, 8 x 41 reserved: never both
        return money((await buyer.account())["reserved_cash"]) == Decimal("328.00")

    await eventually(moved)
    open_orders = (await buyer.get("/api/v1/orders", params={"symbol": symbol})).json()["items"]
    assert [o["id"] for o in open_orders] == [new["id"]]


async def test_an_order_larger_than_the_cash_is_rejected(symbol: str, buyer: Trader) -> None:
    order = await buyer.order(symbol=symbol, side="buy", qty="1000", limit_price="99.00")
    rejected = await buyer.wait_status(order["id"], "rejected")
    assert rejected["reject_reason"] == "insufficient_buying_power"


async def test_selling_shares_not_held_is_rejected(symbol: str, buyer: Trader) -> None:
    order = await buyer.order(symbol=symbol, side="sell", qty="1", limit_price="99.00")
    rejected = await buyer.wait_status(order["id"], "rejected")
    assert rejected["reject_reason"] == "insufficient_position"


async def test_the_same_client_order_id_twice_is_one_order(symbol: str, buyer: Trader) -> None:
    cid = f"e2e-{uuid.uuid4().hex[:8]}"
    first = await buyer.order(
        symbol=symbol, side="buy", qty="1", limit_price="10.00", client_order_id=cid
    )
    second = await buyer.order(
        symbol=symbol, side="buy", qty="1", limit_price="10.00", client_order_id=cid
    )
    assert first["id"] == second["id"]
    listed = (await buyer.get("/api/v1/orders?status=all&limit=500")).json()["items"]
    assert [o["id"] for o in listed if o["client_order_id"] == cid] == [first["id"]]


async def test_another_users_order_is_404(
    api: httpx.AsyncClient, symbol: str, buyer: Trader
) -> None:
    order = await buyer.order(symbol=symbol, side="buy", qty="1", limit_price="10.00")
    stranger = await signup(api)
    assert (await stranger.get(f"/api/v1/orders/{order['id']}")).status_code == 404
    cancel = await stranger.delete(f"/api/v1/orders/{order['id']}")
    assert cancel.status_code == 404
    assert cancel.json()["code"] == "not_found"
    assert (await buyer.order_status(order["id"]))["status"] in ("pending_new", "new")


@pytest.mark.parametrize(
    "body",
    [
        {"side": "buy", "qty": "1"},  # no type/limit
        {"side": "buy", "type": "limit", "time_in_force": "gtc", "qty": "-1", "limit_price": "1"},
        {
            "side": "buy",
            "type": "limit",
            "time_in_force": "gtc",
            "qty": "1",
            "limit_price": "1.001",
        },
    ],
)
async def test_bad_input_is_a_422_problem(symbol: str, buyer: Trader, body: dict[str, str]) -> None:
    response = await buyer.post("/api/v1/orders", {"symbol": symbol, **body})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] in ("validation_error", "invalid_lot_size", "invalid_tick_size")


async def test_no_token_is_401(api: httpx.AsyncClient) -> None:
    for path in ("/api/v1/orders", "/api/v1/account", "/api/v1/users/me", "/api/v1/fills"):
        response = await api.get(path)
        assert response.status_code == 401, path
        assert response.headers["content-type"].startswith("application/problem+json")
