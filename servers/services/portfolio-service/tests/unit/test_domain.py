"""The pure model: positions from fills (average cost, realized P&L), valuation, and the
sampling slots of the equity history."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bourse.portfolio.domain.history import seconds_to_next_slot, slot_of
from bourse.portfolio.domain.positions import Position
from bourse.portfolio.domain.valuation import Quote, newest, value

D = Decimal


def trades(*fills: tuple[str, str, str]) -> Position:
    position = Position()
    for side, qty, price in fills:
        position = position.fill(side, D(qty), D(price))  # type: ignore[arg-type]
    return position


def test_buys_average_their_cost() -> None:
    position = trades(("buy", "10", "100"), ("buy", "30", "104"))
    assert position == Position(D("40"), D("4120"), D("0"))
    assert position.avg_cost == D("103")


def test_a_partial_sell_realizes_against_the_average_cost_and_keeps_it() -> None:
    position = trades(("buy", "10", "100"), ("buy", "10", "110"), ("sell", "5", "120"))
    assert position.qty == D("15")
    assert position.avg_cost == D("105")
    assert position.realized_pl == D("75")  # 5 x (120 - 105)
    position = position.fill("sell", D("5"), D("100"))
    assert (position.qty, position.avg_cost, position.realized_pl) == (D(10), D(105), D(50))


def test_selling_to_zero_realizes_exactly_what_was_paid() -> None:
    # Three buys whose average has no finite decimal: 31 / 3 = 10.333...
    position = trades(("buy", "1", "10"), ("buy", "1", "10"), ("buy", "1", "11"))
    assert position.avg_cost == D("10.3333333333")
    position = position.fill("sell", D("1"), D("12"))  # a pro-rata share of the cost
    position = position.fill("sell", D("2"), D("12"))  # the rest: exactly what is left
    assert position == Position(D("0"), D("0"), D("5"))  # 36 received - 31 paid
    assert position.avg_cost == 0 and not position.is_open


def test_buying_after_zero_starts_a_new_cost_basis_and_keeps_realized() -> None:
    position = trades(("buy", "2", "50"), ("sell", "2", "60"), ("buy", "4", "70"))
    assert (position.qty, position.avg_cost, position.realized_pl) == (D(4), D(70), D(20))


def test_a_sell_seen_before_its_buy_ends_up_the_same_as_in_order() -> None:
    in_order = trades(("buy", "5", "10"), ("sell", "5", "13"))
    reversed_ = trades(("sell", "5", "13"), ("buy", "5", "10"))
    assert in_order == reversed_ == Position(D("0"), D("0"), D("15"))


def test_a_short_covered_in_parts_and_a_flip() -> None:
    short = trades(("sell", "10", "20"))
    assert (short.qty, short.avg_cost, short.cost) == (D(-10), D(20), D(-200))
    covered = short.fill("buy", D("4"), D("15"))
    assert (covered.qty, covered.avg_cost, covered.realized_pl) == (D(-6), D(20), D(20))
    flipped = covered.fill("buy", D("10"), D("25"))  # covers 6 (loses 30), then long 4
    assert (flipped.qty, flipped.avg_cost, flipped.realized_pl) == (D(4), D(25), D(-10))


@pytest.mark.parametrize(("qty", "price"), [("0", "1"), ("-1", "1"), ("1", "-1")])
def test_a_fill_needs_a_positive_quantity_and_a_price(qty: str, price: str) -> None:
    with pytest.raises(ValueError, match="a fill needs"):
        Position().fill("buy", D(qty), D(price))


def test_realized_pl_is_net_of_every_fills_fee() -> None:
    bought = Position().fill("buy", D("10"), D("100"), fee=D("0.50"))
    assert (bought.avg_cost, bought.realized_pl) == (D("100"), D("-0.50"))  # basis: price alone
    sold = bought.fill("sell", D("10"), D("110"), fee=D("0.55"))
    assert sold.realized_pl == D("100") - D("0.50") - D("0.55")
    with pytest.raises(ValueError):
        Position().fill("buy", D("1"), D("1"), fee=D("-0.01"))


def test_valuation_at_last_prices() -> None:
    positions = {
        "MSFT": trades(("buy", "2", "300")),
        "AAPL": trades(("buy", "10", "100"), ("sell", "4", "110")),
        "OLD": trades(("buy", "1", "5"), ("sell", "1", "8")),
    }
    valued = value(D("1000.50"), positions, {"AAPL": D("120"), "MSFT": D("290.5"), "OLD": D(9)})
    aapl, msft, old = valued.positions
    assert [aapl.symbol, msft.symbol, old.symbol] == ["AAPL", "MSFT", "OLD"]  # sorted
    assert (aapl.qty, aapl.avg_cost, aapl.market_price) == (D(6), D(100), D(120))
    assert (aapl.market_value, aapl.unrealized_pl, aapl.realized_pl) == (D(720), D(120), D(40))
    assert (msft.market_value, msft.unrealized_pl) == (D("581.0"), D("-19.0"))
    assert (old.qty, old.market_value, old.unrealized_pl, old.realized_pl) == (
        D(0),
        D(0),
        D(0),
        D(3),
    )
    assert valued.cash == D("1000.50")
    assert valued.equity == D("1000.50") + D(720) + D("581.0")


def test_a_position_without_a_known_price_is_valued_at_cost() -> None:
    valued = value(D(0), {"NEW": trades(("buy", "3", "7"))}, {})
    (row,) = valued.positions
    assert (row.market_price, row.market_value, row.unrealized_pl) == (None, D(21), D(0))
    assert valued.equity == D(21)


def test_the_newest_quote_wins() -> None:
    t0 = datetime(2026, 3, 9, 14, tzinfo=UTC)
    old, new = Quote(D(1), t0), Quote(D(2), t0 + timedelta(seconds=1))
    assert newest(None, old) and newest(old, new) and not newest(new, old)


def test_sampling_slots_are_aligned_on_the_epoch() -> None:
    at = datetime(2026, 3, 9, 14, 58, 31, 250_000, tzinfo=UTC)
    assert slot_of(at, 60) == datetime(2026, 3, 9, 14, 58, tzinfo=UTC)
    assert slot_of(at, 0.5) == datetime(2026, 3, 9, 14, 58, 31, tzinfo=UTC)
    assert slot_of(at.replace(tzinfo=None), 3600) == datetime(2026, 3, 9, 14, tzinfo=UTC)
    assert seconds_to_next_slot(at, 60) == 28.75
