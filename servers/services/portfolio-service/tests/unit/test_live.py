"""The in-memory side of the live feed, without sockets: the hub's symbol index, what a
price tick or a portfolio change pushes to whom, and the bounded per-client queue."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bourse.portfolio.domain.positions import Position
from bourse.portfolio.domain.valuation import Book, Quote
from bourse.portfolio.live.connection import Connection
from bourse.portfolio.live.hub import Hub

D = Decimal
T0 = datetime(2026, 3, 9, 14, tzinfo=UTC)


class Books:
    """What the 'database' holds for each user (the hub's loader), and how often it was read."""

    def __init__(self) -> None:
        self.books: dict[uuid.UUID, Book] = {}
        self.loads = 0

    def hold(self, user_id: uuid.UUID, cash: str = "0", **held: str) -> None:
        positions = {s: Position(D(q), D(q) * 10) for s, q in held.items()}
        self.books[user_id] = Book(D(cash), positions, {})

    async def load(self, user_id: uuid.UUID) -> Book:
        self.loads += 1
        await asyncio.sleep(0)
        return self.books.get(user_id, Book(D(0), {}, {}))


class Client:
    """A connection whose frames are collected as they are sent."""

    def __init__(self, queue_size: int = 8) -> None:
        self.frames: list[dict[str, Any]] = []
        self.connection = Connection(self._send, queue_size, send_timeout=1.0)
        self.task = asyncio.create_task(self.connection.run())

    async def _send(self, frame: str) -> None:
        self.frames.append(json.loads(frame))

    async def settle(self) -> list[dict[str, Any]]:
        for _ in range(5):
            await asyncio.sleep(0)
        return self.frames

    async def close(self) -> None:
        self.connection.close()
        await self.task


@pytest.fixture
def books() -> Books:
    return Books()


@pytest.fixture
def hub(books: Books) -> Hub:
    return Hub(books.load, clock=lambda: T0)


def tick(hub: Hub, symbol: str, price: str, seconds: int = 1) -> None:
    hub.price_changed(symbol, Quote(D(price), T0 + timedelta(seconds=seconds)))


def prices(frame: dict[str, Any]) -> dict[str, str | None]:
    return {p["symbol"]: p["market_price"] for p in frame["positions"]}


async def test_snapshot_first_then_updates_for_held_symbols_only(hub: Hub, books: Books) -> None:
    user = uuid.uuid4()
    books.hold(user, cash="5", AAA="2", BBB="1")
    client = Client()
    await hub.join(user, client.connection)
    tick(hub, "AAA", "12")
    tick(hub, "ZZZ", "99")  # not held: nothing
    frames = await client.settle()
    assert [f["type"] for f in frames] == ["snapshot", "update"]
    assert frames[0]["positions"][0]["market_price"] is None  # no price known yet
    assert frames[1]["equity"] == "39"  # 5 + 2 x 12 + 1 x 10 (BBB at cost)
    assert frames[1]["as_of"] == "2026-03-09T14:00:00Z"
    tick(hub, "AAA", "12", seconds=2)  # the same price again: nothing moved
    tick(hub, "AAA", "1", seconds=0)  # older than the one known: ignored
    assert len(await client.settle()) == 2
    await client.close()


async def test_a_burst_of_ticks_costs_one_frame_per_user(hub: Hub, books: Books) -> None:
    user = uuid.uuid4()
    books.hold(user, AAA="1", BBB="1")
    client = Client()
    await hub.join(user, client.connection)
    for i in range(1, 50):
        tick(hub, "AAA", f"{10 + i}", seconds=i)
        tick(hub, "BBB", f"{20 + i}", seconds=i)
    frames = await client.settle()
    assert [f["type"] for f in frames] == ["snapshot", "update"]
    assert prices(frames[1]) == {"AAA": "59", "BBB": "69"}
    await client.close()


async def test_a_change_reloads_the_book_and_follows_new_symbols(hub: Hub, books: Books) -> None:
    user = uuid.uuid4()
    books.hold(user, AAA="1")
    client = Client()
    await hub.join(user, client.connection)
    assert (hub.watchers("AAA"), hub.watchers("NEW")) == (1, 0)
    books.hold(user, NEW="3")  # a fill: AAA sold, NEW bought
    await hub.portfolio_changed(user)
    assert (hub.watchers("AAA"), hub.watchers("NEW")) == (0, 1)
    tick(hub, "NEW", "11")
    tick(hub, "AAA", "50")
    frames = await client.settle()
    assert [(f["type"], prices(f)) for f in frames] == [
        ("snapshot", {"AAA": None}),
        ("update", {"NEW": None}),
        ("update", {"NEW": "11"}),
    ]
    await client.close()


async def test_changes_of_users_not_served_here_cost_nothing(hub: Hub, books: Books) -> None:
    await hub.portfolio_changed(uuid.uuid4())
    assert books.loads == 0


async def test_concurrent_changes_of_one_user_are_coalesced(hub: Hub, books: Books) -> None:
    user = uuid.uuid4()
    books.hold(user, AAA="1")
    client = Client()
    await hub.join(user, client.connection)
    await asyncio.gather(*(hub.portfolio_changed(user) for _ in range(10)))
    assert books.loads <= 3  # the join, the first change, one for all that queued behind it
    await client.close()


async def test_every_connection_of_a_user_gets_the_update_and_leaving_unindexes(
    hub: Hub, books: Books
) -> None:
    user = uuid.uuid4()
    books.hold(user, AAA="1")
    first, second = Client(), Client()
    await hub.join(user, first.connection)
    await hub.join(user, second.connection)
    tick(hub, "AAA", "13")
    assert [f["type"] for f in await first.settle()] == ["snapshot", "update"]
    assert [f["type"] for f in await second.settle()] == ["snapshot", "update"]
    hub.leave(user, first.connection)
    assert hub.watchers("AAA") == 1
    hub.leave(user, second.connection)
    assert hub.watchers("AAA") == 0
    await first.close()
    await second.close()


async def test_a_slow_client_keeps_only_its_newest_frames() -> None:
    release = asyncio.Event()
    sent: list[str] = []

    async def stuck(frame: str) -> None:
        await release.wait()
        sent.append(frame)

    connection = Connection(stuck, queue_size=3, send_timeout=5.0)
    writer = asyncio.create_task(connection.run())
    for i in range(10):
        connection.push(str(i))
        await asyncio.sleep(0)
    assert connection.pending == 3  # "0" is being written; 1-6 were superseded
    release.set()
    await asyncio.sleep(0.01)
    assert sent == ["0", "7", "8", "9"]
    connection.close()
    await writer


async def test_a_client_that_cannot_take_a_frame_in_time_is_given_up() -> None:
    async def never(_: str) -> None:
        await asyncio.Event().wait()

    connection = Connection(never, queue_size=3, send_timeout=0.05)
    connection.push("frame")
    with pytest.raises(TimeoutError):
        await connection.run()
