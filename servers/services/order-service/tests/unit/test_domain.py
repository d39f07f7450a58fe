"""Placement and lifecycle rules, pure."""

from dataclasses import replace
from decimal import Decimal

import pytest

from bourse.common.errors import Problem
from bourse.order.domain import lifecycle
from bourse.order.domain.instrument import Instrument
from bourse.order.domain.placement import OrderRequest, collar_price, place, units

D = Decimal
AAPL = Instrument("AAPL", D("0.01"), D("1"), "trading", D("100.00"), 0, 0)  # no fees
COLLAR = D("0.05")


def request(**overrides: object) -> OrderRequest:
    fields: dict[str, object] = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "limit",
        "time_in_force": "gtc",
        "qty": D("10"),
        "notional": None,
        "limit_price": D("101.25"),
        "stop_price": None,
    }
    fields.update(overrides)
    return OrderRequest(**fields)  # type: ignore[arg-type]


def test_limit_buy_reserves_qty_times_limit_and_converts_to_ticks() -> None:
    placement = place(request(), AAPL, COLLAR)
    assert placement.reserve_cash == D("1012.50")
    assert placement.reserve_qty == 0
    assert (placement.engine.order_type, placement.engine.price, placement.engine.qty) == (
        "limit",
        10125,
        10,
    )


def test_limit_sell_reserves_shares() -> None:
    placement = place(request(side="sell"), AAPL, COLLAR)
    assert (placement.reserve_cash, placement.reserve_qty) == (D(0), D("10"))


def test_market_buy_is_an_ioc_limit_at_the_collar() -> None:
    placement = place(request(type="market", limit_price=None), AAPL, COLLAR)
    assert placement.engine.order_type == "limit" and placement.engine.tif == "ioc"
    assert placement.engine.price == 10500  # 100.00 + 5%
    assert placement.reserve_cash == D("1050.00")


def test_collar_rounds_away_from_the_market_on_the_tick() -> None:
    assert collar_price(D("10.01"), "buy", D("0.05"), D("0.05")) == D("10.55")
    assert collar_price(D("10.01"), "sell", D("0.05"), D("0.05")) == D("9.50")
    assert collar_price(D("0.01"), "sell", D("0.5"), D("0.01")) == D("0.01")  # never 0


def test_notional_buy_uses_the_engine_budget() -> None:
    placement = place(
        request(type="market", qty=None, notional=D("100"), limit_price=None), AAPL, COLLAR
    )
    assert placement.engine.order_type == "market"
    assert placement.engine.budget == 10_000  # 100.00 / (0.01 x 1)
    assert placement.reserve_cash == D("100.00")


def test_stop_becomes_a_protected_stop_limit() -> None:
    placement = place(request(type="stop", limit_price=None, stop_price=D("110")), AAPL, COLLAR)
    engine = placement.engine
    assert (engine.order_type, engine.stop_price, engine.price) == ("stop_limit", 11000, 11550)
    assert placement.reserve_cash == D("1155.00")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"limit_price": D("101.255")}, "invalid_tick_size"),
        ({"qty": D("1.5")}, "invalid_lot_size"),
        ({"qty": D("0")}, "invalid_lot_size"),
        ({"qty": None}, "invalid_order"),
        ({"notional": D("5")}, "invalid_order"),
        ({"limit_price": None}, "invalid_order"),
        ({"type": "market"}, "invalid_order"),
        ({"type": "market", "limit_price": None, "time_in_force": "fok"}, "invalid_order"),
        ({"stop_price": D("99")}, "invalid_order"),
        (
            {"type": "market", "qty": None, "notional": D("1.001"), "limit_price": None},
            "invalid_notional",
        ),
        (
            {
                "side": "sell",
                "type": "market",
                "qty": None,
                "notional": D("10"),
                "limit_price": None,
            },
            "invalid_order",
        ),
    ],
)
def test_invalid_orders_are_422_with_a_stable_code(overrides: dict[str, object], code: str) -> None:
    with pytest.raises(Problem) as info:
        place(request(**overrides), AAPL, COLLAR)
    assert (info.value.status, info.value.code) == (422, code)


def test_halted_and_untraded_symbols() -> None:
    with pytest.raises(Problem, match="halted"):
        place(request(), Instrument("X", D("0.01"), D("1"), "halted"), COLLAR)
    with pytest.raises(Problem) as info:
        place(
            request(type="market", limit_price=None),
            Instrument("X", D("0.01"), D("1"), "trading"),
            COLLAR,
        )
    assert info.value.code == "no_reference_price"


def test_lifecycle_fill_then_cancel_keeps_the_fill() -> None:
    order = lifecycle.OrderState("pending_new", D("10"), D("0"), D("0"))
    assert lifecycle.accepted(order)
    lifecycle.filled(order, D("4"), D("100"))
    assert order.status == "partially_filled" and order.avg_price == D("100")
    order.status = "pending_cancel"
    lifecycle.filled(order, D("1"), D("110"))
    assert order.status == "pending_cancel"  # the exchange decides: still waiting
    lifecycle.cancelled(order, "user")
    assert order.status == "canceled" and order.filled_qty == D("5")
    assert order.avg_price == D("102")
    lifecycle.filled(order, D("0"), D("1"))  # nothing can reopen a final order
    assert order.status == "canceled"


def test_lifecycle_full_fill_and_expiry_and_notional_end() -> None:
    order = lifecycle.OrderState("new", D("2"), D("0"), D("0"))
    lifecycle.filled(order, D("2"), D("5"))
    assert order.status == "filled"
    day = lifecycle.OrderState("new", D("2"), D("0"), D("0"))
    lifecycle.cancelled(day, "end_of_day")
    assert day.status == "expired"
    notional = lifecycle.OrderState("new", None, D("0"), D("0"))
    lifecycle.filled(notional, D("3"), D("33"))
    lifecycle.cancelled(notional, "budget_exhausted")
    assert notional.status == "filled"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"qty": D("1E+19")}, "invalid_qty"),
        ({"qty": D("99999999999999999999")}, "invalid_qty"),
        ({"limit_price": D("1E+19")}, "invalid_price"),
        ({"type": "stop_limit", "stop_price": D("1E+15")}, "invalid_price"),
        (
            {"type": "market", "qty": None, "limit_price": None, "notional": D("1E+12")},
            "invalid_notional",
        ),
    ],
)
def test_huge_values_are_422_never_invalid_operation(
    overrides: dict[str, object], code: str
) -> None:
    with pytest.raises(Problem) as info:
        place(request(**overrides), AAPL, COLLAR)
    assert (info.value.status, info.value.code) == (422, code)


def test_units_refuses_a_quotient_beyond_the_precision() -> None:
    with pytest.raises(Problem) as info:
        units(D("1E+30"), D("1E-8"), "invalid_lot_size", "qty")
    assert (info.value.status, info.value.code) == (422, "invalid_lot_size")
    assert units(D("1000000000"), D("0.00000001"), "invalid_lot_size", "qty") == 10**17


def test_a_buy_also_holds_its_worst_case_fee_and_a_sell_holds_none() -> None:
    charged = replace(AAPL, maker_fee_bps=10, taker_fee_bps=25)
    # 10 x 101.25 = 1012.50; 25 bps of it is 2.53125: 2.54 rounded up, and a cent
    assert place(request(), charged, COLLAR).reserve_cash == D("1012.50") + D("2.55")
    notional = place(request(type="market", qty=None, notional=D("500.00"), limit_price=None),
                     charged, COLLAR)  # fmt: skip
    assert notional.reserve_cash == D("500.00") + D("1.26")  # 1.25 + a cent
    sell = place(request(side="sell"), charged, COLLAR)
    assert (sell.reserve_cash, sell.reserve_qty) == (D(0), D("10"))
