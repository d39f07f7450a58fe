"""The live feeds and automation through nginx: /ws/portfolio (snapshot, then an update
within a second of a trade in a held symbol), /ws/notifications (order.filled pushed), a
recurring order on an every-minute cron that fills and notifies auto.run.succeeded, and
another user who never sees any of it."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from bourse.testing.api import Json, Trader, eventually, fresh_symbol, signup

pytestmark = pytest.mark.e2e


@asynccontextmanager
async def feed(stack: str, path: str, trader: Trader) -> AsyncIterator[ClientConnection]:
    url = stack.replace("http://", "ws://", 1) + f"{path}?token={trader.token}"
    async with connect(url, open_timeout=10, proxy=None) as socket:
        yield socket


async def next_message(socket: ClientConnection, timeout: float = 10) -> Json:
    message: Json = json.loads(await asyncio.wait_for(socket.recv(), timeout))
    return message


async def until(socket: ClientConnection, match: Any, timeout: float) -> Json:
    deadline = time.monotonic() + timeout
    while True:
        message = await next_message(socket, max(deadline - time.monotonic(), 0.01))
        if match(message):
            return message


async def quiet(socket: ClientConnection, seconds: float) -> list[Json]:
    """Whatever arrives within ``seconds``."""
    seen = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            seen.append(await next_message(socket, left))
        except TimeoutError:
            break
    return seen


async def funded(api: httpx.AsyncClient, symbol: str) -> tuple[Trader, Trader]:
    buyer, seller = await signup(api), await signup(api)
    await buyer.deposit("10000.00")
    await seller.deposit_shares(symbol, "100")
    return buyer, seller


async def cross(buyer: Trader, seller: Trader, symbol: str, qty: str, price: str) -> Json:
    sell = await seller.order(symbol=symbol, side="sell", qty=qty, limit_price=price)
    await seller.wait_status(sell["id"], "new")
    buy = await buyer.order(symbol=symbol, side="buy", qty=qty, limit_price=price)
    return await buyer.wait_status(buy["id"], "filled")


def position(portfolio: Json, symbol: str) -> Json | None:
    return next((p for p in portfolio["positions"] if p["symbol"] == symbol), None)


async def test_the_portfolio_feed_updates_within_a_second_of_a_trade(
    stack: str, api: httpx.AsyncClient
) -> None:
    symbol = await fresh_symbol(api)
    buyer, seller = await funded(api, symbol)
    await cross(buyer, seller, symbol, "10", "100.00")
    stranger = await signup(api)

    async with (
        feed(stack, "/ws/portfolio", buyer) as socket,
        feed(stack, "/ws/portfolio", stranger) as other,
    ):
        snapshot = await until(socket, lambda m: m["type"] == "snapshot", 10)
        if (held := position(snapshot, symbol)) is None or Decimal(held["qty"]) != 10:
            snapshot = await until(  # the fill may still be on its way to the portfolio
                socket, lambda m: (p := position(m, symbol)) and Decimal(p["qty"]) == 10, 10
            )
        assert Decimal(position(snapshot, symbol)["avg_cost"]) == Decimal(100)  # type: ignore[index]
        assert (await next_message(other))["type"] == "snapshot"

        third = await signup(api)
        await third.deposit("1000.00")
        await cross(third, seller, symbol, "1", "104.00")  # a trade the buyer is not in
        update = await until(
            socket,
            lambda m: (p := position(m, symbol)) and p["market_price"] == "104",
            5,
        )
        received = datetime.now().astimezone()
        tape = (await api.get(f"/api/v1/stocks/{symbol}/trades", params={"limit": 1})).json()
        traded = datetime.fromisoformat(tape["items"][0]["ts"])
        assert update["type"] == "update"
        assert Decimal(position(update, symbol)["market_value"]) == Decimal(1040)  # type: ignore[index]
        delay = (received - traded).total_seconds()
        assert delay < 1.0, f"update {delay:.3f}s after the trade"

        stranger_saw = await quiet(other, 0.5)
        assert all(position(m, symbol) is None for m in stranger_saw)


async def test_an_order_filled_notification_reaches_the_users_socket_only(
    stack: str, api: httpx.AsyncClient
) -> None:
    symbol = await fresh_symbol(api)
    buyer, seller = await funded(api, symbol)
    stranger = await signup(api)
    async with (
        feed(stack, "/ws/notifications", buyer) as socket,
        feed(stack, "/ws/notifications", stranger) as other,
    ):
        assert (await next_message(socket))["type"] == "ready"
        assert (await next_message(other))["type"] == "ready"
        order = await cross(buyer, seller, symbol, "3", "50.00")
        pushed = await until(
            socket,
            lambda m: (
                m["type"] == "notification"
                and m["notification"]["type"] == "order.filled"
                and m["notification"]["data"].get("order_id") == order["id"]
            ),
            10,
        )
        assert symbol in pushed["notification"]["body"]
        stranger_saw = await quiet(other, 0.5)
        assert all(m.get("type") != "notification" for m in stranger_saw)

    listed = (await buyer.get("/api/v1/notifications")).json()
    mine = [n for n in listed["items"] if n["id"] == pushed["notification"]["id"]]
    assert len(mine) == 1 and listed["unread_count"] >= 1
    theirs = await stranger.post(f"/api/v1/notifications/{mine[0]['id']}/read")
    assert theirs.status_code == 404
    assert all(
        n["id"] != mine[0]["id"]
        for n in (await stranger.get("/api/v1/notifications")).json()["items"]
    )


async def test_a_recurring_order_on_a_minute_cron_fills_and_notifies(
    api: httpx.AsyncClient,
) -> None:
    symbol = await fresh_symbol(api)
    buyer, seller = await funded(api, symbol)
    await cross(buyer, seller, symbol, "1", "20.00")  # a last price for the market order
    await seller.order(symbol=symbol, side="sell", qty="50", limit_price="20.00")
    created = await buyer.post(
        "/api/v1/auto/recurring-orders",
        {"symbol": symbol, "side": "buy", "qty": "2", "schedule": {"cron": "* * * * *"}},
    )
    assert created.status_code == 201, created.text
    recurring = created.json()
    assert recurring["status"] == "active" and recurring["next_run_at"]

    async def succeeded_run() -> Json | None:
        runs = (await buyer.get(f"/api/v1/auto/recurring-orders/{recurring['id']}/runs")).json()
        return next((r for r in runs["items"] if r["outcome"] == "succeeded"), None)

    run = await eventually(succeeded_run, timeout=120, interval=1)
    order = await buyer.order_status(run["order_id"])
    assert (order["status"], order["qty"], order["client_order_id"]) == (
        "filled",
        "2",
        run["client_order_id"],
    )

    async def notified() -> Json | None:
        items = (await buyer.get("/api/v1/notifications")).json()["items"]
        return next((n for n in items if n["type"] == "auto.run.succeeded"), None)

    assert await eventually(notified, timeout=20, interval=0.5)
    stranger = await signup(api)
    for path in (
        f"/api/v1/auto/recurring-orders/{recurring['id']}",
        f"/api/v1/orders/{order['id']}",
    ):
        assert (await stranger.get(path)).status_code == 404
    paused = await buyer.post(f"/api/v1/auto/recurring-orders/{recurring['id']}/pause")
    assert paused.status_code == 200, paused.text
