"""Trailing stops, pure: validation codes, mapping to engine ticks and bps, reservations."""

from decimal import Decimal

import pytest

from bourse.common.errors import Problem
from bourse.order.domain.instrument import Instrument
from bourse.order.domain.placement import OrderRequest, place
from bourse.order.domain.trailing import Trail, first_stop_ticks

D = Decimal
AAPL = Instrument("AAPL", D("0.01"), D("1"), "trading", D("100.00"), 0, 0)  # no fees
COLLAR = D("0.05")


def trailing(**overrides: object) -> OrderRequest:
    fields: dict[str, object] = {
        "symbol": "AAPL",
        "side": "sell",
        "type": "trailing_stop",
        "time_in_force": "gtc",
        "qty": D("10"),
        "notional": None,
        "limit_price": None,
        "stop_price": None,
        "trail_price": D("1.50"),
        "trail_percent": None,
    }
    fields.update(overrides)
    return OrderRequest(**fields)  # type: ignore[arg-type]


def test_trail_price_maps_to_ticks_and_a_sell_reserves_its_shares() -> None:
    placement = place(trailing(), AAPL, COLLAR)
    engine = placement.engine
    assert (engine.order_type, engine.trail, engine.trail_bps, engine.tif) == (
        "trailing_stop", 150, None, "gtc",
    )  # fmt: skip
    assert (engine.price, engine.stop_price, engine.budget, engine.qty) == (None, None, None, 10)
    assert (placement.reserve_cash, placement.reserve_qty) == (D(0), D(10))


def test_trail_percent_maps_to_bps() -> None:
    engine = place(trailing(trail_price=None, trail_percent=D("2.5")), AAPL, COLLAR).engine
    assert (engine.trail, engine.trail_bps) == (None, 250)


def test_a_buy_reserves_the_collar_above_its_first_stop_and_it_is_the_budget() -> None:
    placement = place(trailing(side="buy", trail_price=D("2")), AAPL, COLLAR)
    # first stop 102.00, + 5% collar = 107.10 a share
    assert placement.reserve_cash == D("1071.00")
    assert placement.engine.budget == 107100  # ticks x lots: exactly the reservation
    by_percent = place(trailing(side="buy", trail_price=None, trail_percent=D("1")), AAPL, COLLAR)
    assert by_percent.reserve_cash == D("1060.50")  # stop 101.00, + 5% = 106.05


def test_a_buy_needs_a_reference_price() -> None:
    untraded = Instrument("AAPL", D("0.01"), D("1"), "trading", last_price=None)
    with pytest.raises(Problem) as caught:
        place(trailing(side="buy"), untraded, COLLAR)
    assert caught.value.code == "no_reference_price"
    assert place(trailing(), untraded, COLLAR).engine.trail == 150  # a sell does not


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"type": "limit", "limit_price": D("100")}, "trail_not_allowed"),
        ({"type": "stop", "stop_price": D("99"), "trail_price": None, "trail_percent": D("1")},
         "trail_not_allowed"),
        ({"trail_percent": D("1")}, "trail_ambiguous"),
        ({"trail_price": None}, "trail_required"),
        ({"trail_price": D("0")}, "invalid_trail"),
        ({"trail_price": D("-1")}, "invalid_trail"),
        ({"trail_price": D("0.015")}, "invalid_tick_size"),
        ({"trail_price": D("1e12")}, "invalid_trail"),
        ({"trail_price": None, "trail_percent": D("0")}, "invalid_trail"),
        ({"trail_price": None, "trail_percent": D("100")}, "invalid_trail"),
        ({"trail_price": None, "trail_percent": D("0.125")}, "invalid_trail"),
        ({"time_in_force": "ioc"}, "invalid_order"),
        ({"limit_price": D("100")}, "invalid_order"),
        ({"stop_price": D("99")}, "invalid_order"),
    ],
)  # fmt: skip
def test_invalid_trailing_orders(overrides: dict[str, object], code: str) -> None:
    with pytest.raises(Problem) as caught:
        place(trailing(**overrides), AAPL, COLLAR)
    assert (caught.value.status, caught.value.code) == (422, code)


def test_first_stop_rounds_a_percent_towards_the_mark() -> None:
    trail = Trail(None, 250)  # 2.5% of 101 ticks = 2.525: 2 ticks
    assert first_stop_ticks("buy", 101, trail) == 103
    assert first_stop_ticks("sell", 101, trail) == 99
    assert first_stop_ticks("sell", 101, Trail(3, None)) == 98
