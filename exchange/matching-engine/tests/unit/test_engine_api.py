"""The engine's API beyond the replay contract: budgets, mass cancel, depth, multi-symbol
routing, instrument conversion, snapshots and the compact id set."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bourse.matching import (
    InstrumentSpec,
    MatchingEngine,
    OffIncrementError,
    OrderBook,
    SnapshotError,
    UnknownSymbolError,
)
from bourse.matching.ids import UsedIds
from bourse.matching.snapshot import dumps, loads


def asks(book: OrderBook, *levels: tuple[int, int, int]) -> None:
    """Rest sell orders (id, price, qty)."""
    for oid, price, qty in levels:
        book.limit(oid, "sell", price, qty)


class TestBudget:
    def test_market_buy_spends_at_most_its_budget(self) -> None:
        book = OrderBook()
        asks(book, (1, 100, 5), (2, 101, 5))
        events = book.new(3, "buy", "market", 1_000, budget=800)
        # 5 @ 100 = 500, then 300 // 101 = 2 more @ 101 = 202: 702 spent, 98 left over.
        assert events == [
            ("accepted", 3),
            ("trade", 3, 1, 100, 5),
            ("trade", 3, 2, 101, 2),
            ("cancelled", 3, "budget_exhausted", 993),
        ]
        assert book.best_ask() == (101, 3)

    def test_budget_larger_than_the_book_ends_market_unfilled(self) -> None:
        book = OrderBook()
        asks(book, (1, 100, 5))
        events = book.new(2, "buy", "market", 10, budget=10_000)
        assert events[-1] == ("cancelled", 2, "market_unfilled", 5)

    def test_budget_skips_own_orders_like_matching_does(self) -> None:
        book = OrderBook()
        book.limit(1, "sell", 100, 5, owner="me")
        book.limit(2, "sell", 100, 5, owner="you")
        events = book.new(3, "buy", "market", 100, owner="me", budget=300)
        assert events[1:] == [
            ("cancelled", 1, "self_trade", 5),
            ("trade", 3, 2, 100, 3),
            ("cancelled", 3, "budget_exhausted", 97),
        ]

    @pytest.mark.parametrize("budget", [0, -5, True])
    def test_invalid_budget_is_rejected(self, budget: int) -> None:
        assert OrderBook().new(1, "buy", "market", 10, budget=budget) == [
            ("rejected", 1, "invalid_budget")
        ]

    def test_budget_only_for_market_orders(self) -> None:
        events = OrderBook().new(1, "buy", "stop", 10, stop_price=5, budget=100)
        assert events == [("rejected", 1, "invalid_budget")]


def test_mass_cancel_takes_one_owners_orders_and_stops_in_acceptance_order() -> None:
    book = OrderBook()
    book.limit(1, "buy", 99, 5, owner="a")
    book.limit(2, "buy", 98, 5, owner="b")
    book.new(3, "sell", "stop", 4, stop_price=90, owner="a")
    book.limit(4, "sell", 105, 1, owner="a")
    assert book.cancel_owner("a") == [
        ("cancelled", 1, "mass_cancel", 5),
        ("cancelled", 3, "mass_cancel", 4),
        ("cancelled", 4, "mass_cancel", 1),
    ]
    assert book.resting_count == 1
    assert book.stop_count == 0


def test_depth_and_best_prices() -> None:
    book = OrderBook()
    for oid, (side, price, qty) in enumerate(
        [("buy", 99, 1), ("buy", 99, 2), ("buy", 97, 4), ("sell", 101, 3), ("sell", 104, 1)], 1
    ):
        book.limit(oid, side, price, qty)
    assert book.best_bid() == (99, 3)
    assert book.best_ask() == (101, 3)
    assert book.depth(1) == ([(99, 3)], [(101, 3)])
    assert book.depth(10) == ([(99, 3), (97, 4)], [(101, 3), (104, 1)])
    assert book.depth(0) == ([], [])
    book.cancel(1)
    book.cancel(2)
    assert book.best_bid() == (97, 4)
    assert OrderBook().best_bid() is None


def test_cancelled_orders_never_reappear_after_compaction() -> None:
    book = OrderBook()
    for oid in range(1, 201):
        book.limit(oid, "sell", 100, 1)
    for oid in range(1, 200, 2):  # cancel every other order: forces compactions
        book.cancel(oid)
    events = book.limit(1000, "buy", 100, 100)
    makers = [e[2] for e in events if e[0] == "trade"]
    assert makers == list(range(2, 201, 2))
    assert book.best_ask() is None


def test_get_describes_live_orders_only() -> None:
    book = OrderBook()
    book.limit(1, "buy", 99, 5, tif="day", owner="x")
    book.new(2, "sell", "stop_limit", 3, price=95, stop_price=96)
    assert book.get(1) == {
        "id": 1,
        "qty": 5,
        "price": 99,
        "side": "buy",
        "owner": "x",
        "tif": "day",
        "post_only": False,
        "type": "limit",
    }
    assert book.get(2) is not None
    assert book.get(2)["type"] == "stop_limit"  # type: ignore[index]
    assert book.get(3) is None
    assert 1 in book
    assert len(book) == 2


class TestEngine:
    def test_routes_by_symbol_and_keeps_books_apart(self) -> None:
        engine = MatchingEngine(
            [InstrumentSpec("AAPL", Decimal("0.01")), InstrumentSpec("MSFT", Decimal("0.01"))]
        )
        engine.apply(
            "AAPL", {"op": "new", "id": 1, "side": "sell", "type": "limit", "price": 100, "qty": 5}
        )
        events = engine.apply(
            "MSFT", {"op": "new", "id": 1, "side": "buy", "type": "limit", "price": 100, "qty": 5}
        )
        assert events == [("accepted", 1)]  # same id, other book: no duplicate, no trade
        assert engine.book("AAPL").best_ask() == (100, 5)
        with pytest.raises(UnknownSymbolError):
            engine.apply("NOPE", {"op": "end_of_day"})

    def test_snapshot_restores_every_book(self) -> None:
        specs = [InstrumentSpec("AAPL", Decimal("0.01")), InstrumentSpec("MSFT", Decimal("0.05"))]
        engine = MatchingEngine(specs)
        engine.book("AAPL").limit(1, "buy", 100, 5, tif="day")
        engine.book("MSFT").new(7, "sell", "stop", 2, stop_price=90)
        copy = MatchingEngine(specs)
        copy.restore(engine.snapshot())
        assert copy.book("AAPL").to_state() == engine.book("AAPL").to_state()
        assert copy.book("MSFT").to_state() == engine.book("MSFT").to_state()
        assert copy.end_of_day() == engine.end_of_day()

    def test_restore_refuses_unknown_symbols(self) -> None:
        engine = MatchingEngine([InstrumentSpec("AAPL", Decimal("0.01"))])
        with pytest.raises(UnknownSymbolError):
            MatchingEngine().restore(engine.snapshot())

    def test_mass_cancel_across_books(self) -> None:
        engine = MatchingEngine([InstrumentSpec("A", Decimal(1)), InstrumentSpec("B", Decimal(1))])
        engine.book("A").limit(1, "buy", 10, 1, owner="u")
        engine.book("B").limit(1, "buy", 10, 1, owner="u")
        assert engine.cancel_owner("u") == {
            "A": [("cancelled", 1, "mass_cancel", 1)],
            "B": [("cancelled", 1, "mass_cancel", 1)],
        }


class TestInstrumentSpec:
    spec = InstrumentSpec("AAPL", Decimal("0.05"), Decimal("10"))

    def test_converts_on_the_grid(self) -> None:
        assert self.spec.to_ticks(Decimal("101.25")) == 2025
        assert self.spec.to_lots(Decimal("30")) == 3
        assert self.spec.to_price(2025) == Decimal("101.25")
        assert self.spec.to_qty(3) == Decimal("30")

    @pytest.mark.parametrize("price", ["101.26", "0", "-0.05", "NaN", "Infinity", "1E+999999"])
    def test_rejects_prices_off_the_tick(self, price: str) -> None:
        with pytest.raises(OffIncrementError) as info:
            self.spec.to_ticks(Decimal(price))
        assert info.value.code == "invalid_tick_size"

    @pytest.mark.parametrize("qty", ["15", "0", "-10", "10.0000001"])
    def test_rejects_quantities_off_the_lot(self, qty: str) -> None:
        with pytest.raises(OffIncrementError) as info:
            self.spec.to_lots(Decimal(qty))
        assert info.value.code == "invalid_lot_size"

    def test_notional_becomes_a_budget_cap(self) -> None:
        # one unit = 0.05 x 10 = 0.50 of currency; 100.30 buys at most 200 units of it
        assert self.spec.notional_to_budget(Decimal("100.30")) == 200
        assert self.spec.notional_to_budget(Decimal("-1")) == 0

    def test_spec_must_be_positive_decimals(self) -> None:
        with pytest.raises(ValueError, match="tick_size"):
            InstrumentSpec("X", Decimal(0))
        with pytest.raises(ValueError, match="lot_size"):
            InstrumentSpec("X", Decimal(1), 1)  # type: ignore[arg-type]


class TestUsedIds:
    def test_sequential_ids_stay_compact(self) -> None:
        ids = UsedIds()
        assert all(ids.add(i) for i in range(1, 100_001))
        assert not ids.sparse
        assert len(ids) == 100_000
        assert 50 in ids
        assert 100_001 not in ids

    def test_out_of_order_ids_are_absorbed_into_the_run(self) -> None:
        ids = UsedIds()
        for oid in (5, 7, 9, 6, 8):
            assert ids.add(oid)
        assert (ids.lo, ids.hi, ids.sparse) == (5, 10, set())
        assert not ids.add(7)
        assert ids.add(2)
        assert 2 in ids
        assert 3 not in ids
        assert ids.add(0)
        assert not ids.add(0)

    def test_state_round_trip(self) -> None:
        ids = UsedIds()
        for oid in (3, 4, 10, -2):
            ids.add(oid)
        again = UsedIds.from_state(ids.to_state())
        assert [oid in again for oid in range(-3, 12)] == [oid in ids for oid in range(-3, 12)]


class TestSnapshotFormat:
    def test_refuses_foreign_bytes(self) -> None:
        with pytest.raises(SnapshotError):
            loads(b"not a snapshot")

    def test_refuses_corrupt_bytes(self) -> None:
        data = dumps(OrderBook("X"))
        with pytest.raises(SnapshotError):
            loads(data[:-4] + b"oops")
