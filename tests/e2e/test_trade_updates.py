"""/ws/trade-updates through nginx: a bot's orders as numbered trade updates (pending_new,
new, fill with its price and qty; pending_cancel, canceled), the order object exactly as
GET /api/v1/orders/{id} shows it, the same on two sockets (two instances), a reconnect
with ``?since=`` that gets exactly what it missed, in order, then live updates; another
user's socket hears nothing; a bad token closes 4401 and a ``since`` beyond the last seq
4422."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bourse.testing.api import Json, Trader, fresh_symbol, signup

pytestmark = pytest.mark.e2e


def stream_url(stack: str, token: str, since: int | None) -> str:
    query = f"?token={token}" + ("" if since is None else f"&since={since}")
    return stack.replace("http://", "ws://", 1) + "/ws/trade-updates" + query


@asynccontextmanager
async def stream(
    stack: str, trader: Trader, since: int | None = None
) -> AsyncIterator[ClientConnection]:
    async with connect(stream_url(stack, trader.token, since), open_timeout=10, proxy=None) as ws:
        yield ws


async def updates(socket: ClientConnection, count: int, timeout: float = 20) -> list[Json]:
    deadline = time.monotonic() + timeout
    got: list[Json] = []
    while len(got) < count:
        left = max(deadline - time.monotonic(), 0.01)
        got.append(json.loads(await asyncio.wait_for(socket.recv(), left)))
    return got


async def quiet(socket: ClientConnection, seconds: float = 0.7) -> list[Json]:
    """Whatever arrives within ``seconds`` (nothing, when all is well)."""
    seen: list[Json] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            seen.append(json.loads(await asyncio.wait_for(socket.recv(), left)))
        except TimeoutError:
            break
    return seen


def story(messages: list[Json]) -> list[tuple[int, str, str]]:
    return [(m["seq"], m["event"], m["order"]["id"]) for m in messages]


async def rest_then_cancel(bot: Trader, symbol: str, price: str) -> str:
    """A resting buy, cancelled once it is on the book: pending_new, new, pending_cancel,
    canceled."""
    order = await bot.order(symbol=symbol, side="buy", qty="1", limit_price=price)
    await bot.wait_status(order["id"], "new")
    assert (await bot.delete(f"/api/v1/orders/{order['id']}")).status_code == 202
    await bot.wait_status(order["id"], "canceled")
    return str(order["id"])


async def test_a_bots_orders_stream_and_resume_with_since(
    stack: str, api: httpx.AsyncClient
) -> None:
    symbol = await fresh_symbol(api)
    bot, seller, stranger = await signup(api), await signup(api), await signup(api)
    await bot.deposit("10000.00")
    await seller.deposit_shares(symbol, "100")

    async with (
        stream(stack, bot, since=0) as socket,
        stream(stack, bot, since=0) as twin,  # nginx spreads them over both instances
        stream(stack, stranger, 0) as other,
    ):
        buy = await bot.order(symbol=symbol, side="buy", qty="5", limit_price="50.00")
        await bot.wait_status(buy["id"], "new")
        await seller.order(symbol=symbol, side="sell", qty="5", limit_price="50.00")
        filled = await bot.wait_status(buy["id"], "filled")
        first = await updates(socket, 3)
        assert story(first) == [
            (1, "pending_new", buy["id"]),
            (2, "new", buy["id"]),
            (3, "fill", buy["id"]),
        ]
        assert all(m["type"] == "trade_update" and m["timestamp"] for m in first)
        assert (first[2]["price"], first[2]["qty"]) == ("50", "5")
        assert "price" not in first[0] and "price" not in first[1]
        assert first[2]["order"] == filled  # exactly the order object of GET /orders/{id}
        assert await updates(twin, 3) == first

        canceled = await rest_then_cancel(bot, symbol, "40.00")
        second = await updates(socket, 4)
        assert story(second) == [
            (4, "pending_new", canceled),
            (5, "new", canceled),
            (6, "pending_cancel", canceled),
            (7, "canceled", canceled),
        ]
        assert second[3]["order"] == await bot.order_status(canceled)
        assert await updates(twin, 4) == second
        assert await quiet(socket) == []
        assert await quiet(other, 0.1) == []  # another user hears nothing of it
    last_seen = 7

    missed = [await rest_then_cancel(bot, symbol, price) for price in ("41.00", "42.00")]
    async with stream(stack, bot, since=last_seen) as socket:
        replayed = await updates(socket, 8)
        assert story(replayed) == [
            (8 + 4 * n + k, event, order_id)
            for n, order_id in enumerate(missed)
            for k, event in enumerate(("pending_new", "new", "pending_cancel", "canceled"))
        ]
        assert await quiet(socket) == []  # nothing twice
        live = await bot.order(symbol=symbol, side="buy", qty="1", limit_price="43.00")
        assert story(await updates(socket, 2)) == [
            (16, "pending_new", live["id"]),
            (17, "new", live["id"]),
        ]


async def test_a_bad_token_closes_4401_and_a_since_beyond_the_last_seq_4422(
    stack: str, api: httpx.AsyncClient
) -> None:
    async with connect(stream_url(stack, "not-a-token", None), proxy=None) as socket:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
    assert socket.close_code == 4401

    newcomer = await signup(api)
    async with stream(stack, newcomer, since=1) as socket:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(socket.recv(), 10)
    assert (socket.close_code, socket.close_reason) == (4422, "since is beyond your last seq (0)")
