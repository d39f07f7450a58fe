"""Public market data through nginx: /ws/market (books built from increments equal the
REST book after a burst of orders and cancels; trades equal the tape; a bar closes on the
minute and equals the stored candle; errors; a client that never reads is closed with
4408), and the REST snapshots, clock and calendar."""

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bourse.testing.api import Json, Trader, all_pages, eventually, fresh_symbol, signup
from bourse.testing.ws import receive

pytestmark = pytest.mark.e2e
Book = dict[str, dict[Decimal, Decimal]]


@asynccontextmanager
async def market(stack: str, **options: Any) -> AsyncIterator[ClientConnection]:
    url = stack.replace("http://", "ws://", 1) + "/ws/market"
    async with connect(url, open_timeout=10, proxy=None, **options) as socket:
        yield socket


async def send(socket: ClientConnection, **message: Any) -> None:
    await socket.send(json.dumps(message))


async def subscribed(socket: ClientConnection, **channels: list[str]) -> Json:
    await send(socket, action="subscribe", **channels)
    reply: Json = await receive(socket)
    assert reply["type"] == "subscription", reply
    return reply


class Watcher:
    """A client that applies every book update and keeps every trade."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.books: dict[str, Book] = {}
        self.seqs: dict[str, int] = {}
        self.gaps: list[tuple[str, int, int]] = []
        self.trades: dict[str, list[Json]] = {}

    def take(self, message: Json) -> None:
        symbol = message.get("symbol", "")
        if message["type"] == "book_snapshot":
            self.books[symbol] = {side: levels(message[side]) for side in ("bids", "asks")}
            self.seqs[symbol] = message["seq"]
        elif message["type"] == "book_update":
            if message["seq"] != self.seqs[symbol] + 1:
                self.gaps.append((symbol, self.seqs[symbol], message["seq"]))
            self.seqs[symbol] = message["seq"]
            for side in ("bids", "asks"):
                book = self.books[symbol][side]
                for price, qty in levels(message[side]).items():
                    if qty == 0:
                        book.pop(price, None)
                    else:
                        book[price] = qty
        elif message["type"] == "trade":
            self.trades.setdefault(symbol, []).append(message)

    async def run(self) -> None:
        async for raw in self.socket:
            self.take(json.loads(raw))


def levels(pairs: list[list[str]]) -> dict[Decimal, Decimal]:
    return {Decimal(price): Decimal(qty) for price, qty in pairs}


async def rest_book(api: httpx.AsyncClient, symbol: str) -> Book:
    body = (await api.get(f"/api/v1/stocks/{symbol}/book", params={"depth": 10})).json()
    return {side: levels(body[side]) for side in ("bids", "asks")}


async def burst(traders: list[Trader], symbols: list[str], orders: int, seed: int) -> None:
    """Random limit orders around 100 (some cross, many rest on 30 price levels a side,
    more than the book's published depth) and cancels of resting ones."""
    rng = random.Random(seed)
    resting: list[tuple[Trader, str]] = []
    gate = asyncio.Semaphore(16)

    async def one(n: int) -> None:
        async with gate:
            if resting and rng.random() < 0.3:
                trader, order_id = resting.pop(rng.randrange(len(resting)))
                await trader.delete(f"/api/v1/orders/{order_id}")
                return
            trader, symbol = rng.choice(traders), rng.choice(symbols)
            side = rng.choice(("buy", "sell"))
            cents = rng.randint(9700, 10030) if side == "buy" else rng.randint(9970, 10300)
            order = await trader.order(
                symbol=symbol,
                side=side,
                qty=str(rng.randint(1, 5)),
                limit_price=str(Decimal(cents) / 100),
            )
            resting.append((trader, order["id"]))

    await asyncio.gather(*(one(n) for n in range(orders)))


async def test_increments_rebuild_the_book_and_trades_match_the_tape(
    stack: str, api: httpx.AsyncClient
) -> None:
    symbols = [await fresh_symbol(api) for _ in range(3)]
    traders = [await signup(api) for _ in range(4)]
    for trader in traders:
        await trader.deposit("1000000.00")
        for symbol in symbols:
            await trader.deposit_shares(symbol, "100000")
    async with (
        market(stack) as first,
        market(stack) as second,
        market(stack) as third,
    ):  # three clients: nginx spreads them over both stock replicas
        watchers = [Watcher(socket) for socket in (first, second, third)]
        for watcher in watchers:
            await subscribed(watcher.socket, book=symbols, trades=symbols)
        tasks = [asyncio.create_task(w.run()) for w in watchers]
        try:
            await burst(traders, symbols, orders=400, seed=7)

            async def converged() -> bool:
                books = {s: await rest_book(api, s) for s in symbols}
                filled = all(b["bids"] or b["asks"] for b in books.values())
                return filled and all(w.books == books for w in watchers)

            await eventually(converged, timeout=30, interval=0.5)
            for symbol in symbols:

                async def all_trades(symbol: str = symbol) -> bool:
                    # the tape read again each time: its last trades may still be in a
                    # batch of the other stock replica when the books already agree
                    tape = await all_pages(traders[0], f"/api/v1/stocks/{symbol}/trades")
                    expected = sorted(_trade_key(t) for t in tape)
                    return bool(expected) and all(
                        sorted(_trade_key(t) for t in w.trades.get(symbol, [])) == expected
                        for w in watchers
                    )

                await eventually(all_trades, timeout=20, interval=0.5)
        finally:
            for task in tasks:
                task.cancel()
    assert all(not w.gaps for w in watchers), [w.gaps for w in watchers]
    assert all(max(len(b["bids"]), len(b["asks"])) <= 10 for b in watchers[0].books.values())


def _trade_key(trade: Json) -> tuple[Any, ...]:
    ts = datetime.fromisoformat(trade["ts"].replace("Z", "+00:00"))
    return (trade["seq"], Decimal(trade["price"]), Decimal(trade["qty"]), trade["taker_side"], ts)


async def cross(buyer: Trader, seller: Trader, symbol: str, qty: str, price: str) -> None:
    sell = await seller.order(symbol=symbol, side="sell", qty=qty, limit_price=price)
    await seller.wait_status(sell["id"], "new")
    buy = await buyer.order(symbol=symbol, side="buy", qty=qty, limit_price=price)
    await buyer.wait_status(buy["id"], "filled")


async def test_a_bar_closes_on_the_minute_and_equals_the_candle(
    stack: str, api: httpx.AsyncClient
) -> None:
    symbol = await fresh_symbol(api)
    buyer, seller = await signup(api), await signup(api)
    await buyer.deposit("10000.00")
    await seller.deposit_shares(symbol, "100")
    async with market(stack) as socket:
        await subscribed(socket, bars=[symbol], trades=[symbol])
        await cross(buyer, seller, symbol, "2", "50.00")
        await cross(buyer, seller, symbol, "3", "51.00")
        trades: list[Json] = []
        while (message := await receive(socket, timeout=75))["type"] == "trade":
            trades.append(message)
        bar = message
        received = datetime.now(UTC)
    assert [t["qty"] for t in trades] == ["2", "3"]
    assert bar["type"] == "bar" and bar["symbol"] == symbol and bar["interval"] == "1m"
    start = datetime.fromisoformat(bar["start"].replace("Z", "+00:00"))
    lateness = (received - (start + timedelta(minutes=1))).total_seconds()
    assert 0 <= lateness < 3, f"the bar came {lateness:.2f}s after its minute"
    candles = (
        await api.get(
            f"/api/v1/stocks/{symbol}/candles", params={"interval": "1m", "start": bar["start"]}
        )
    ).json()["items"]
    stored = next(c for c in candles if c["start"].replace("Z", "+00:00") == start.isoformat())
    for field in ("open", "high", "low", "close", "volume"):
        assert Decimal(bar[field]) == Decimal(stored[field]), field


async def test_bad_requests_get_errors(stack: str, api: httpx.AsyncClient) -> None:
    symbol = await fresh_symbol(api)
    async with market(stack) as socket:
        await send(socket, action="subscribe", trades=[symbol, "NOSUCHSYM"])
        error = await receive(socket)
        assert (error["type"], error["code"]) == ("error", "unknown_symbol")
        assert "NOSUCHSYM" in error["detail"]
        await socket.send("not json")
        assert (await receive(socket))["code"] == "invalid_message"
        await send(socket, action="dance")
        assert (await receive(socket))["code"] == "invalid_message"
        many = [f"X{n:04d}" for n in range(201)]
        await send(socket, action="subscribe", trades=many)
        assert (await receive(socket))["code"] == "too_many_subscriptions"
        reply = await subscribed(socket, trades=[symbol], quotes=[symbol.lower()])
        assert (reply["trades"], reply["quotes"], reply["book"]) == ([symbol], [symbol], [])
        await send(socket, action="unsubscribe", trades=[symbol])
        reply = await receive(socket)
        assert (reply["type"], reply["trades"], reply["quotes"]) == (
            "subscription", [], [symbol],
        )  # fmt: skip


async def test_a_client_that_never_reads_is_closed_with_4408(
    stack: str, api: httpx.AsyncClient
) -> None:
    symbols = [s["symbol"] for s in (await api.get("/api/v1/stocks")).json()["items"]][:40]
    request = json.dumps({"action": "subscribe", "book": symbols, "quotes": symbols})
    async with market(stack, max_queue=1, write_limit=2**20) as socket:
        deadline = time.monotonic() + 60
        sent = 0
        try:
            while time.monotonic() < deadline and sent < 20_000:
                # each request is answered with a snapshot of every book: a lot to read
                await asyncio.wait_for(socket.send(request), 5)
                sent += 1
        except (TimeoutError, ConnectionClosed):
            pass  # the server stopped reading us: it gave up on this client
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(socket.recv(), 30)
    assert closed.value.rcvd is not None, f"closed without a close frame after {sent} requests"
    assert closed.value.rcvd.code == 4408


async def test_snapshots_clock_and_calendar(stack: str, api: httpx.AsyncClient) -> None:
    symbol = await fresh_symbol(api)
    buyer, seller = await signup(api), await signup(api)
    await buyer.deposit("10000.00")
    await seller.deposit_shares(symbol, "100")
    await cross(buyer, seller, symbol, "4", "25.50")
    await seller.order(symbol=symbol, side="sell", qty="1", limit_price="26.00")

    async def snapshot() -> Json | None:
        response = await api.get("/api/v1/stocks/snapshots", params={"symbols": f"{symbol},AAPL"})
        assert response.status_code == 200, response.text
        body: Json = response.json()
        mine = body[symbol]
        return body if mine["latest_quote"]["ask"] == "26" and mine["daily_bar"] else None

    body = await eventually(snapshot)
    assert set(body) == {symbol, "AAPL"}
    mine = body[symbol]
    assert (mine["latest_trade"]["price"], mine["latest_trade"]["qty"]) == ("25.5", "4")
    assert (mine["daily_bar"]["close"], mine["daily_bar"]["volume"]) == ("25.5", "4")
    assert mine["prev_daily_bar"] is None
    unknown = await api.get("/api/v1/stocks/snapshots", params={"symbols": "AAPL,NOSUCHSYM"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_symbol"

    clock = (await api.get("/api/v1/clock")).json()
    now = datetime.fromisoformat(clock["timestamp"].replace("Z", "+00:00"))
    next_open = datetime.fromisoformat(clock["next_open"].replace("Z", "+00:00"))
    next_close = datetime.fromisoformat(clock["next_close"].replace("Z", "+00:00"))
    assert now < next_open and now < next_close
    assert clock["is_open"] == (next_close < next_open)
    sessions = (
        await api.get("/api/v1/calendar", params={"start": "2026-11-23", "end": "2026-11-29"})
    ).json()
    assert [s["date"] for s in sessions] == [str(date(2026, 11, d)) for d in range(23, 28)]
    assert sessions[0]["open"].startswith("2026-11-23T14:30:00")  # 09:30 in New York
    bad = await api.get("/api/v1/calendar", params={"start": "2026-11-29", "end": "2026-11-23"})
    assert bad.status_code == 422
