"""The pure rules of order classes: validation (Alpaca's), the exits a fill adds, the
one-cancels-other arithmetic, stop triggers, and how much a close sells."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from bourse.common.errors import Problem
from bourse.order.domain import order_classes as classes
from bourse.order.domain.order_classes import Exits
from bourse.order.domain.placement import OrderRequest

BRACKET = Exits(Decimal("110"), Decimal("95"))


def entry(
    side: str = "buy", kind: str = "limit", tif: str = "gtc", **changes: object
) -> OrderRequest:
    values: dict[str, object] = {
        "symbol": "AAPL",
        "side": side,
        "type": kind,
        "time_in_force": tif,
        "qty": Decimal(10),
        "notional": None,
        "limit_price": Decimal(100) if kind == "limit" else None,
        "stop_price": None,
    }
    values.update(changes)
    return OrderRequest(**values)  # type: ignore[arg-type]


def code_of(order_class: classes.OrderClass, request: OrderRequest, exits: Exits) -> str:
    with pytest.raises(Problem) as caught:
        classes.validate(order_class, request, exits)
    return caught.value.code


def test_valid_brackets_oco_and_oto_pass() -> None:
    classes.validate("bracket", entry(), BRACKET)
    classes.validate("bracket", entry(kind="market", tif="day"), BRACKET)
    classes.validate("bracket", entry("sell"), Exits(Decimal(90), Decimal(105), Decimal(106)))
    classes.validate("oto", entry(), Exits(stop_loss_stop=Decimal(95)))
    classes.validate("oco", entry("sell", limit_price=Decimal(110)), BRACKET)
    classes.validate("simple", entry(), Exits())


@pytest.mark.parametrize(
    ("order_class", "request_", "exits", "code"),
    [
        (
            "bracket",
            entry(),
            Exits(Decimal(99), Decimal(95)),
            "invalid_take_profit",
        ),  # tp below the entry
        (
            "bracket",
            entry(),
            Exits(Decimal(110), Decimal(101)),
            "invalid_stop_loss",
        ),  # stop above it
        ("bracket", entry("sell"), BRACKET, "invalid_take_profit"),  # a short's tp is below
        ("bracket", entry(), Exits(Decimal(110)), "invalid_order_class"),  # no stop_loss
        ("bracket", entry(tif="ioc"), BRACKET, "invalid_order_class"),
        ("bracket", entry(kind="stop", stop_price=Decimal(100)), BRACKET, "invalid_order_class"),
        (
            "bracket",
            entry(qty=None, notional=Decimal(100), kind="market"),
            BRACKET,
            "invalid_order_class",
        ),
        (
            "bracket",
            entry(),
            Exits(Decimal(110), Decimal(95), Decimal(96)),
            "invalid_stop_loss",
        ),  # limit past stop
        (
            "oco",
            entry("sell", limit_price=Decimal(110)),
            Exits(Decimal(110)),
            "invalid_order_class",
        ),
        ("oco", entry("sell", limit_price=Decimal(111)), BRACKET, "invalid_take_profit"),
        ("oco", entry("sell", kind="market"), BRACKET, "invalid_order_class"),
        ("oto", entry(), BRACKET, "invalid_order_class"),  # one exit only
        ("oto", entry(), Exits(), "invalid_order_class"),
        ("simple", entry(), Exits(Decimal(110)), "invalid_order_class"),
        ("bracket", entry(), Exits(Decimal(110), None, Decimal(90)), "invalid_stop_loss"),
    ],
)
def test_invalid_classed_orders(
    order_class: classes.OrderClass, request_: OrderRequest, exits: Exits, code: str
) -> None:
    assert code_of(order_class, request_, exits) == code


def test_each_fill_adds_a_pair_of_exits_of_its_qty() -> None:
    legs = classes.exits_for_fill(
        "AAPL", "buy", Exits(Decimal(110), Decimal(95), Decimal(94)), Decimal(4)
    )
    assert [leg.kind for leg in legs] == ["take_profit", "stop_loss"]
    tp, sl = (leg.request for leg in legs)
    assert (tp.side, tp.type, tp.qty, tp.limit_price) == ("sell", "limit", Decimal(4), Decimal(110))
    assert (sl.side, sl.type, sl.qty, sl.stop_price, sl.limit_price) == (
        "sell",
        "stop_limit",
        Decimal(4),
        Decimal(95),
        Decimal(94),
    )
    [alone] = classes.exits_for_fill("AAPL", "sell", Exits(stop_loss_stop=Decimal(105)), Decimal(3))
    assert (
        alone.kind == "stop_loss" and alone.request.side == "buy" and alone.request.type == "stop"
    )


def test_partial_fills_sum_to_the_entry_and_the_take_profit_shrinks_its_stop_loss() -> None:
    fills = [Decimal(3), Decimal(2), Decimal(5)]
    pairs = [classes.exits_for_fill("AAPL", "buy", BRACKET, qty) for qty in fills]
    assert sum((pair[0].request.qty or Decimal(0) for pair in pairs), Decimal(0)) == Decimal(10)
    assert classes.after_sibling_fill(Decimal(5), Decimal(2)) == Decimal(3)
    assert (
        classes.after_sibling_fill(Decimal(5), Decimal(5)) == 0
    )  # filled in full: the stop-loss ends
    # triggered with the take-profit at 2 filled; it fills 1 more before its cancel lands
    assert classes.release_qty(
        Decimal(3), waited_filled=Decimal(3), base_filled=Decimal(2)
    ) == Decimal(2)


def test_stops_fire_at_or_through_their_price() -> None:
    assert classes.stop_crossed("sell", Decimal(95), Decimal(95)) and classes.stop_crossed(
        "sell", Decimal(95), Decimal(90)
    )
    assert not classes.stop_crossed("sell", Decimal(95), Decimal("95.01"))
    assert classes.stop_crossed("buy", Decimal(105), Decimal(106)) and not classes.stop_crossed(
        "buy", Decimal(105), Decimal(104)
    )


def test_close_qty() -> None:
    assert classes.close_qty(Decimal(10), Decimal(10), Decimal(1), None, None) == Decimal(10)
    assert classes.close_qty(Decimal(10), Decimal(6), Decimal(1), None, None) == Decimal(
        6
    )  # only what is available
    assert classes.close_qty(Decimal(10), Decimal(10), Decimal(1), Decimal(4), None) == Decimal(4)
    assert classes.close_qty(Decimal(10), Decimal(10), Decimal(1), None, Decimal(25)) == Decimal(
        2
    )  # rounded down to the lot
    for args, code in [
        ((Decimal(10), Decimal(6), Decimal(1), Decimal(7), None), "insufficient_position"),
        ((Decimal(10), Decimal(0), Decimal(1), None, None), "insufficient_position"),
        ((Decimal(10), Decimal(10), Decimal(1), Decimal(1), Decimal(50)), "invalid_close"),
        ((Decimal(10), Decimal(10), Decimal(1), None, Decimal(0)), "invalid_percentage"),
        ((Decimal(10), Decimal(10), Decimal(1), None, Decimal(101)), "invalid_percentage"),
        (
            (Decimal(10), Decimal(10), Decimal(1), None, Decimal(5)),
            "invalid_qty",
        ),  # half a share: under a lot
        ((Decimal(10), Decimal(10), Decimal(1), Decimal(0), None), "invalid_qty"),
    ]:
        with pytest.raises(Problem) as caught:
            classes.close_qty(*args)
        assert caught.value.code == code, args


def test_a_held_order_waits_until_what_an_ended_sell_held_is_given_back() -> None:
    def order(**values: object) -> SimpleNamespace:
        base = {"status": "canceled", "side": "sell", "held": False, "qty": Decimal(6),
                "filled_qty": Decimal(2), "shares_released": False}  # fmt: skip
        return SimpleNamespace(**{**base, **values})

    assert not classes.given_back(order(status="pending_cancel"))
    assert not classes.given_back(order())  # 4 shares still held by trader-service
    assert classes.given_back(order(shares_released=True))
    assert classes.given_back(order(filled_qty=Decimal(6), status="filled"))
    assert classes.given_back(order(status="rejected"))  # never held anything
    assert classes.given_back(order(held=True))  # never asked for its risk check
    assert classes.given_back(order(side="buy"))
