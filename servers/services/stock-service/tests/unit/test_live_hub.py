"""The /ws/market hub without sockets: who gets what, in which order, each event encoded
once for all its subscribers; the bounded queue that gives up on a slow client."""

import asyncio
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bourse.contracts.events import BookChanged, TradeExecuted
from bourse.stock.live.connection import MarketConnection
from bourse.stock.live.feed import close_bars_forever
from bourse.stock.live.hub import MarketHub, Seed, StoredBook

T0 = datetime(2026, 12, 7, 15, 0, 10, tzinfo=UTC)
EPOCH = uuid.UUID(int=3)


async def no_symbols(symbols: set[str]) -> set[str]:
    return set()


class NeverWrites:
    """The hub never writes by itself: frames stay queued for the test to read."""

    def ready(self) -> bool:
        return False

    def write_now(self, frames: Sequence[str]) -> None:
        raise AssertionError("the hub never writes by itself")

    async def write(self, frames: Sequence[str]) -> None:
        raise AssertionError("the hub never writes by itself")


def client(queue_size: int = 100) -> MarketConnection:
    return MarketConnection(NeverWrites(), queue_size)


def frames_of(connection: MarketConnection) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in connection._frames]


def book(seq: int, bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> BookChanged:
    return BookChanged(
        symbol="ACME",
        bids=[(Decimal(p), Decimal(q)) for p, q in bids],
        asks=[(Decimal(p), Decimal(q)) for p, q in asks],
        seq=seq,
        ts=T0,
        epoch=EPOCH,
    )


def trade(seq: int, price: str, at: datetime = T0) -> TradeExecuted:
    return TradeExecuted(
        symbol="ACME", trade_id=f"t{seq}", price=Decimal(price), qty=Decimal(2),
        taker_side="buy", seq=seq, ts=at, epoch=EPOCH,
    )  # fmt: skip


def seeded_hub() -> MarketHub:
    hub = MarketHub(no_symbols)
    stored = StoredBook((EPOCH, 10), [(Decimal(99), Decimal(5))], [], T0)
    hub.seed(Seed(symbols={"ACME"}, books={"ACME": stored}, last_trades={"ACME": (EPOCH, 9)}))
    return hub


def test_a_book_subscriber_gets_the_snapshot_then_numbered_updates() -> None:
    hub = seeded_hub()
    watcher, other = client(), client()
    hub.subscribe(watcher, {"book": {"ACME"}, "quotes": {"ACME"}})
    hub.subscribe(other, {"trades": {"ACME"}})
    hub.book_changed(book(9, [("1", "1")], []))  # older than the seed: nothing
    hub.book_changed(book(12, [("99", "5"), ("98", "1")], [("101", "3")]))
    got = frames_of(watcher)
    assert [f["type"] for f in got] == [
        "subscription", "book_snapshot", "quote", "book_update", "quote",
    ]  # fmt: skip
    assert got[1]["bids"] == [["99", "5"]] and got[1]["seq"] == 1  # the seed was update 1
    assert got[3] == {
        "type": "book_update", "symbol": "ACME", "bids": [["98", "1"]], "asks": [["101", "3"]],
        "seq": 2,
    }  # fmt: skip
    assert (got[4]["bid"], got[4]["ask"], got[4]["ask_size"]) == ("99", "101", "3")
    assert [f["type"] for f in frames_of(other)] == ["subscription"]


def test_subscribing_again_after_a_gap_gives_a_fresh_snapshot() -> None:
    hub = seeded_hub()
    watcher = client()
    hub.subscribe(watcher, {"book": {"ACME"}})
    hub.book_changed(book(12, [("99", "5"), ("98", "1")], []))
    hub.subscribe(watcher, {"book": {"ACME"}})  # what a client that saw a gap does
    snapshot = frames_of(watcher)[-1]
    assert snapshot["type"] == "book_snapshot" and snapshot["seq"] == 2
    assert snapshot["bids"] == [["99", "5"], ["98", "1"]]
    hub.book_changed(book(13, [("99", "5")], []))
    assert frames_of(watcher)[-1]["seq"] == 3  # the updates go on from the snapshot's seq


def test_a_trade_is_encoded_once_for_all_and_repeats_are_dropped() -> None:
    hub = seeded_hub()
    first, second = client(), client()
    for connection in (first, second):
        hub.subscribe(connection, {"trades": {"ACME"}})
    hub.trade(trade(9, "100"))  # on the tape before the seed: not new
    hub.trade(trade(11, "100.50"))
    hub.trade(trade(11, "100.50"))  # a redelivered copy
    assert first._frames[-1] is second._frames[-1]  # one string, shared
    sent = [f for f in frames_of(first) if f["type"] == "trade"]
    assert sent == [
        {"type": "trade", "symbol": "ACME", "price": "100.5", "qty": "2", "taker_side": "buy",
         "ts": "2026-12-07T15:00:10Z", "seq": 11},
    ]  # fmt: skip


def test_bars_close_on_the_clock_for_their_subscribers_only() -> None:
    hub = seeded_hub()
    watcher, other = client(), client()
    hub.subscribe(watcher, {"bars": {"ACME"}})
    hub.subscribe(other, {"trades": {"ACME"}})
    hub.trade(trade(11, "100"))
    hub.trade(trade(12, "104"))
    assert hub.close_bars(T0 + timedelta(seconds=30)) == 0  # 15:00:40: still open
    assert hub.close_bars(T0 + timedelta(seconds=50)) == 1  # 15:01:00
    bar = frames_of(watcher)[-1]
    assert bar == {
        "type": "bar", "symbol": "ACME", "interval": "1m", "start": "2026-12-07T15:00:00Z",
        "open": "100", "high": "104", "low": "100", "close": "104", "volume": "4",
    }  # fmt: skip
    assert all(f["type"] != "bar" for f in frames_of(other))


def test_unsubscribe_and_leave_stop_the_frames() -> None:
    hub = seeded_hub()
    watcher = client()
    hub.subscribe(watcher, {"trades": {"ACME"}, "book": {"ACME"}})
    hub.unsubscribe(watcher, {"trades": {"ACME"}})
    assert frames_of(watcher)[-1] == {
        "type": "subscription", "trades": [], "quotes": [], "book": ["ACME"], "bars": [],
    }  # fmt: skip
    hub.joined()
    hub.leave(watcher)
    count = len(watcher._frames)
    hub.trade(trade(11, "100"))
    hub.book_changed(book(12, [("97", "1")], []))
    assert len(watcher._frames) == count


def test_a_full_queue_marks_the_client_too_slow_and_frees_its_frames() -> None:
    slow = client(queue_size=3)
    for n in range(3):
        slow.push(f"frame {n}")
    assert not slow.overflow.is_set()
    slow.push("one too many")
    assert slow.overflow.is_set() and not slow._frames
    slow.push("after")
    assert not slow._frames


async def test_the_bar_clock_closes_the_minute_it_slept_for() -> None:
    """Its sleep runs on the monotonic clock: woken a microsecond early by the wall clock,
    it must still close the minute that ended."""
    hub = seeded_hub()
    watcher = client()
    hub.subscribe(watcher, {"bars": {"ACME"}})
    hub.trade(trade(11, "100"))
    boundary = datetime(2026, 12, 7, 15, 1, tzinfo=UTC)
    readings = iter([boundary - timedelta(milliseconds=1), boundary - timedelta(microseconds=1)])
    clock = asyncio.create_task(close_bars_forever(hub, timedelta(0), lambda: next(readings)))
    await asyncio.sleep(0.05)
    clock.cancel()
    await asyncio.gather(clock, return_exceptions=True)
    assert frames_of(watcher)[-1]["type"] == "bar"
