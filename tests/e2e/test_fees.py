"""Fees end to end (API.md, Trading account): every fill carries its fee and liquidity,
the fee is a ledger entry of its own, a buy holds its worst-case fee, realized P&L is net
of fees, and the cash that left the buyer equals what reached the seller plus the fees."""

from decimal import ROUND_HALF_UP, Decimal

import httpx
import pytest

from bourse.testing.api import Json, Trader, eventually, fresh_symbol, money, signup

pytestmark = pytest.mark.e2e

MAKER_BPS, TAKER_BPS = 10, 25
CENT = Decimal("0.01")


def expected_fee(fill: Json) -> Decimal:
    bps = MAKER_BPS if fill["liquidity"] == "maker" else TAKER_BPS
    notional = money(fill["price"]) * money(fill["qty"])
    return (notional * bps / 10_000).quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
async def symbol(api: httpx.AsyncClient) -> str:
    return await fresh_symbol(api, maker_fee_bps=MAKER_BPS, taker_fee_bps=TAKER_BPS)


async def fills_of(trader: Trader, order_id: str) -> list[Json]:
    response = await trader.get(f"/api/v1/orders/{order_id}/fills")
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


async def activities(trader: Trader) -> list[Json]:
    response = await trader.get("/api/v1/account/activities", params={"limit": 500})
    assert response.status_code == 200, response.text
    items: list[Json] = response.json()["items"]
    return items


async def settled(trader: Trader, fills: int) -> list[Json]:
    """The trader's activities once ``fills`` fee entries are in the ledger."""

    async def check() -> list[Json] | None:
        found = await activities(trader)
        return found if sum(a["type"] == "fee" for a in found) == fills else None

    result: list[Json] = await eventually(check)
    return result


async def test_every_fill_is_charged_its_fee_and_the_cash_is_conserved(
    api: httpx.AsyncClient, symbol: str
) -> None:
    seller, buyer = await signup(api), await signup(api)
    await seller.deposit_shares(symbol, "10")
    await buyer.deposit("5000.00")
    sells = [
        await seller.order(symbol=symbol, side="sell", qty=qty, limit_price=price)
        for qty, price in (("3", "100.03"), ("3", "100.07"), ("4", "100.11"))
    ]
    for sell in sells:
        await seller.wait_status(sell["id"], "new")
    buy = await buyer.order(symbol=symbol, side="buy", qty="10", limit_price="100.11")
    await buyer.wait_status(buy["id"], "filled")

    bought = await fills_of(buyer, buy["id"])
    sold = [fill for sell in sells for fill in await fills_of(seller, sell["id"])]
    assert len(bought) == len(sold) == 3
    assert {f["liquidity"] for f in bought} == {"taker"}
    assert {f["liquidity"] for f in sold} == {"maker"}
    for fill in bought + sold:
        assert money(fill["fee"]) == expected_fee(fill) > 0, fill

    buyer_ledger, seller_ledger = await settled(buyer, 3), await settled(seller, 3)
    buyer_fees = sorted(-money(a["amount"]) for a in buyer_ledger if a["type"] == "fee")
    seller_fees = sorted(-money(a["amount"]) for a in seller_ledger if a["type"] == "fee")
    assert buyer_fees == sorted(money(f["fee"]) for f in bought)
    assert seller_fees == sorted(money(f["fee"]) for f in sold)

    notional = sum(money(f["price"]) * money(f["qty"]) for f in bought)
    buyer_account, seller_account = await buyer.account(), await seller.account()
    paid = Decimal("5000.00") - money(buyer_account["cash"])
    received = money(seller_account["cash"])
    assert paid == notional + sum(buyer_fees)
    assert received == notional - sum(seller_fees)
    assert paid - received == sum(buyer_fees) + sum(seller_fees)  # all of it is accounted for
    assert money(buyer_account["reserved_cash"]) == 0  # the unused worst-case fee came back


async def test_realized_pl_is_net_of_fees(api: httpx.AsyncClient, symbol: str) -> None:
    seller, buyer = await signup(api), await signup(api)
    await seller.deposit_shares(symbol, "5")
    await buyer.deposit("1000.00")
    sell = await seller.order(symbol=symbol, side="sell", qty="5", limit_price="50.00")
    await seller.wait_status(sell["id"], "new")
    buy = await buyer.order(symbol=symbol, side="buy", qty="5", limit_price="50.00")
    await buyer.wait_status(buy["id"], "filled")
    (fill,) = await fills_of(buyer, buy["id"])
    fee = money(fill["fee"])
    assert fee == Decimal("0.63")  # 250.00 x 25 bps = 0.625, half-up

    async def realized() -> Decimal | None:
        response = await buyer.get("/api/v1/portfolio")
        positions = {p["symbol"]: p for p in response.json()["positions"]}
        position = positions.get(symbol)
        return None if position is None else money(position["realized_pl"])

    assert await eventually(realized) == -fee


async def test_a_buy_holds_its_worst_case_fee(api: httpx.AsyncClient, symbol: str) -> None:
    buyer = await signup(api)
    await buyer.deposit("1000.00")  # exactly the order's price x qty: not its fee too
    short = await buyer.order(symbol=symbol, side="buy", qty="10", limit_price="100.00")
    rejected = await buyer.wait_status(short["id"], "rejected")
    assert rejected["reject_reason"] == "insufficient_buying_power"

    await buyer.deposit("2.51")  # 1,000.00 x 25 bps rounded up, and a cent for rounding
    enough = await buyer.order(symbol=symbol, side="buy", qty="10", limit_price="100.00")
    await buyer.wait_status(enough["id"], "new")
    account = await buyer.account()
    assert money(account["reserved_cash"]) == Decimal("1002.51")
    assert money(account["buying_power"]) == 0
