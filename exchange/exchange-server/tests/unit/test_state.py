"""Commands -> engine -> messages, without I/O: mapping, ids, prices, sides, specs."""

import logging
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import pytest
from exchange_helpers import cancel, instrument, new, symbols_of

from bourse.contracts.events import (
    BookChanged,
    ExchangeCommand,
    ExecutionsReported,
    Payload,
    TradeExecuted,
)
from bourse.contracts.ids import uuid7
from bourse.exchange_server.journal import JournalEntry
from bourse.exchange_server.reports import NAMESPACE, MessageBatch, Outgoing
from bourse.exchange_server.state import ShardState, engine_command

SYM = symbols_of(0, 2, 1)[0]
P = TypeVar("P", bound=Payload)


class Feeder:
    """Journal entries for a state, numbered as the core would."""

    def __init__(self, state: ShardState) -> None:
        self.state = state
        self.ts = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def command(self, command: ExchangeCommand) -> JournalEntry:
        cmd = command.model_dump(mode="json")
        return JournalEntry(self.state.seq + 1, uuid7(), self.ts, "corr", command=cmd)

    def run(self, *commands: ExchangeCommand) -> list[Outgoing]:
        batch = MessageBatch(self.state, depth=10)
        for command in commands:
            applied = self.state.apply(self.command(command))
            assert applied is not None
            batch.add(applied)
        return batch.close()

    def learn(self, symbol: str, tick: str = "0.01", lot: str = "1") -> None:
        payload = instrument(symbol, tick, lot).model_dump(mode="json")
        entry = JournalEntry(self.state.seq + 1, uuid7(), self.ts, instrument=payload)
        assert self.state.apply(entry) is None


def payloads(messages: list[Outgoing], model: type[P]) -> list[P]:
    return [
        model.model_validate(m.envelope.payload) for m in messages if m.envelope.type == model.TYPE
    ]


def test_engine_commands() -> None:
    limit = new("AAPL", 7, "buy", 10125, 3, owner="u1", tif="day")
    assert engine_command(limit) == {
        "op": "new",
        "id": 7,
        "side": "buy",
        "type": "limit",
        "price": 10125,
        "qty": 3,
        "tif": "day",
        "owner": "u1",
    }
    market = new("AAPL", 8, "buy", None, 5, owner="u1", budget=1000)
    assert engine_command(market)["budget"] == 1000
    assert engine_command(market)["type"] == "market"
    assert engine_command(cancel("AAPL", 7)) == {"op": "cancel", "id": 7}
    replace = ExchangeCommand(symbol="AAPL", op="replace", engine_id=7, price=10130)
    assert engine_command(replace) == {"op": "replace", "id": 7, "price": 10130}
    eod = ExchangeCommand(symbol="AAPL", op="end_of_day")
    assert engine_command(eod) == {"op": "end_of_day"}


def test_a_cross_reports_executions_trades_and_the_book() -> None:
    state = ShardState(0, 2)
    feed = Feeder(state)
    feed.learn(SYM, tick="0.01", lot="10")
    messages = feed.run(new(SYM, 1, "sell", 10125, 5, owner="s"), new(SYM, 2, "buy", 10130, 3))
    reports = payloads(messages, ExecutionsReported)
    assert [r.first_seq for r in reports] == [1, 2]
    assert [(e.type, e.id, e.taker, e.maker, e.price, e.qty) for e in reports[1].events] == [
        ("accepted", 2, None, None, None, None),
        ("trade", None, 2, 1, 10125, 3),
    ]
    (trade,) = payloads(messages, TradeExecuted)
    assert (trade.price, trade.qty, trade.taker_side) == (Decimal("101.25"), Decimal(30), "buy")
    assert (trade.trade_id, trade.seq, trade.ts) == (f"{SYM}:{state.epoch}:3", 3, feed.ts)
    assert trade.epoch == state.epoch
    (book,) = payloads(messages, BookChanged)
    assert book.asks == [(Decimal("101.25"), Decimal(20))] and book.bids == []
    assert [m.envelope.type for m in messages] == [
        ExecutionsReported.TYPE,
        ExecutionsReported.TYPE,
        TradeExecuted.TYPE,
        BookChanged.TYPE,
    ]


def test_message_ids_are_derived_from_the_journal() -> None:
    state = ShardState(1, 2)
    sym = symbols_of(1, 2, 1)[0]
    feed = Feeder(state)
    entry = feed.command(new(sym, 1, "buy", 100, 1))
    applied = state.apply(entry)
    assert applied is not None
    batch = MessageBatch(state, depth=10)
    batch.add(applied)
    (report,) = batch.close()
    expected = uuid.uuid5(NAMESPACE, f"{state.epoch}:1:{entry.seq}:executions")
    assert report.envelope.message_id == expected
    assert report.routing_key == f"execution.{sym}"
    assert report.envelope.causation_id == str(entry.message_id)
    assert report.envelope.correlation_id == "corr"
    assert report.envelope.occurred_at == entry.ts
    payload = ExecutionsReported.model_validate(report.envelope.payload)
    assert payload.command_id == entry.message_id
    assert (payload.epoch, payload.shard) == (state.epoch, 1)


def test_a_replace_that_crosses_trades_on_the_orders_side() -> None:
    state = ShardState(0, 2)
    feed = Feeder(state)
    feed.learn(SYM)
    feed.run(new(SYM, 1, "buy", 100, 5, owner="b"), new(SYM, 2, "sell", 105, 2, owner="s"))
    replace = ExchangeCommand(symbol=SYM, op="replace", engine_id=2, price=100)
    (trade,) = payloads(feed.run(replace), TradeExecuted)
    assert trade.taker_side == "sell"


def test_a_triggered_stop_trades_on_its_own_side() -> None:
    state = ShardState(0, 2)
    feed = Feeder(state)
    feed.learn(SYM)
    stop = new(SYM, 1, "sell", None, 2, owner="x", order_type="stop", stop_price=99)
    feed.run(
        stop,
        new(SYM, 2, "buy", 98, 10, owner="b"),
        new(SYM, 3, "buy", 99, 1, owner="b2"),
    )
    assert state.stop_sides[SYM] == {1: "sell"}
    trades = payloads(feed.run(new(SYM, 4, "sell", 99, 1, owner="s")), TradeExecuted)
    assert [(t.taker_side, t.price) for t in trades] == [
        ("sell", Decimal("0.99")),  # the incoming sell
        ("sell", Decimal("0.98")),  # the sell stop it triggered
    ]
    assert state.stop_sides[SYM] == {}


def test_a_trailing_stop_reports_its_moves_and_trades_on_its_own_side() -> None:
    state = ShardState(0, 2)
    feed = Feeder(state)
    feed.learn(SYM)
    feed.run(new(SYM, 1, "sell", 100, 1, owner="s"), new(SYM, 2, "buy", 100, 1, owner="b"))
    trailing = new(SYM, 3, "sell", None, 2, owner="x", order_type="trailing_stop", trail_bps=500)
    assert engine_command(trailing)["trail_bps"] == 500
    (report,) = payloads(feed.run(trailing), ExecutionsReported)
    assert [(e.type, e.id, e.stop_price, e.water_mark) for e in report.events] == [
        ("accepted", 3, None, None),
        ("trailed", 3, 95, 100),  # 5% of 100 ticks below the last trade
    ]
    assert state.stop_sides[SYM] == {3: "sell"}
    messages = feed.run(new(SYM, 4, "sell", 120, 1, owner="s"), new(SYM, 5, "buy", 120, 1))
    moved = payloads(messages, ExecutionsReported)[-1].events[-1]
    assert (moved.type, moved.stop_price, moved.water_mark) == ("trailed", 114, 120)

    restored = ShardState.from_snapshot(state.snapshot(), 2, state.epoch)
    assert restored.book(SYM).get(3) == state.book(SYM).get(3)
    assert restored.stop_sides == state.stop_sides
    again = Feeder(restored)
    again.run(new(SYM, 6, "buy", 110, 5, owner="b"))
    trades = payloads(again.run(new(SYM, 7, "sell", 110, 1, owner="s")), TradeExecuted)
    assert [(t.taker_side, t.price) for t in trades] == [
        ("sell", Decimal("1.10")),
        ("sell", Decimal("1.10")),  # the trailing stop, fired by the fall to 110 <= 114
    ]
    assert restored.stop_sides[SYM] == {}


def test_without_a_spec_only_executions_are_published(caplog: pytest.LogCaptureFixture) -> None:
    state = ShardState(0, 2)
    with caplog.at_level(logging.WARNING):
        messages = Feeder(state).run(
            new(SYM, 1, "sell", 100, 5, owner="s"), new(SYM, 2, "buy", 100, 5, owner="b")
        )
    assert [m.envelope.type for m in messages] == [ExecutionsReported.TYPE] * 2
    assert "no instrument spec" in caplog.text
    assert state.book(SYM).trade_count == 1  # the engine traded anyway, in ticks and lots


def test_instrument_news() -> None:
    state = ShardState(0, 2)
    other = symbols_of(1, 2, 1)[0]
    assert not state.is_news(instrument(other))
    assert state.is_news(instrument(SYM))
    state.learn(instrument(SYM))
    assert not state.is_news(instrument(SYM))
    assert state.is_news(instrument(SYM, status="halted"))
    assert state.is_news(instrument(SYM, tick="0.05"))
    assert SYM in state.engine.books  # the book exists once the spec is known


def test_entries_must_come_in_order() -> None:
    state = ShardState(0, 1)
    entry = JournalEntry(2, uuid7(), datetime.now(UTC), command=cancel("A", 1).model_dump())
    with pytest.raises(ValueError, match="applied after 0"):
        state.apply(entry)
