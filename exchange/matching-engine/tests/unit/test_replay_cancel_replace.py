"""Replay contract: cancel (rule 6), replace (rule 7) and end of day (rule 8)."""

from __future__ import annotations

from typing import Any

import pytest

from model import Runner
from replay_support import (
    acc,
    accs,
    buy,
    cancel,
    check,
    cxl,
    eod,
    market,
    rej,
    rep,
    replace,
    sell,
    stop,
    stop_limit,
    trade,
    trig,
)

# -- rule 6: cancel -------------------------------------------------------------------------


def test_cancel_resting_order(runner: Runner) -> None:
    cmds = [buy(1, 100, 3), cancel(1), sell(2, 100, 1)]
    check(runner, cmds, [acc(1), cxl(1, "user", 3), acc(2)])


def test_cancel_reports_open_quantity(runner: Runner) -> None:
    cmds = [sell(1, 100, 5), buy(2, 100, 2), cancel(1)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 2), cxl(1, "user", 3)])


def test_cancel_pending_stop(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), stop(2, "buy", 100, 4), stop_limit(3, "buy", 100, 105, 2)]
    cmds += [cancel(2), cancel(3), buy(4, 100, 1)]
    expected = [
        *accs(1, 2, 3),
        cxl(2, "user", 4),
        cxl(3, "user", 2),
        acc(4),
        trade(4, 1, 100, 1),
    ]
    check(runner, cmds, expected)


def test_cancel_unknown_id(runner: Runner) -> None:
    check(runner, [cancel(42)], [rej(42, "unknown_order")])


def test_cancel_filled_orders(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), buy(2, 100, 1), cancel(1), cancel(2)]
    expected = [*accs(1, 2), trade(2, 1, 100, 1), rej(1, "unknown_order"), rej(2, "unknown_order")]
    check(runner, cmds, expected)


def test_cancel_twice(runner: Runner) -> None:
    check(
        runner,
        [buy(1, 100, 1), cancel(1), cancel(1)],
        [acc(1), cxl(1, "user", 1), rej(1, "unknown_order")],
    )


def test_cancel_of_already_cancelled_by_the_engine(runner: Runner) -> None:
    cmds = [
        buy(1, 100, 1, tif="ioc"),
        market(2, "buy", 1),
        buy(3, 100, 1, tif="fok"),
        sell(4, 100, 1),
        buy(5, 100, 1, post_only=True),
        cancel(1),
        cancel(2),
        cancel(3),
        cancel(5),
    ]
    expected = [
        acc(1),
        cxl(1, "ioc", 1),
        acc(2),
        cxl(2, "market_unfilled", 1),
        acc(3),
        cxl(3, "fok", 1),
        acc(4),
        acc(5),
        cxl(5, "post_only", 1),
        *[rej(oid, "unknown_order") for oid in (1, 2, 3, 5)],
    ]
    check(runner, cmds, expected)


def test_cancel_triggered_stop_limit_now_resting(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), stop_limit(2, "buy", 100, 100, 2), buy(3, 100, 1), cancel(2)]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 1), trig(2), cxl(2, "user", 2)])


# -- rule 7: replace --------------------------------------------------------------------------


def test_replace_qty_down_keeps_priority(runner: Runner) -> None:
    cmds = [sell(1, 100, 5), sell(2, 100, 5), replace(1, qty=3), buy(3, 100, 4)]
    expected = [*accs(1, 2), rep(1, 100, 3), acc(3), trade(3, 1, 100, 3), trade(3, 2, 100, 1)]
    check(runner, cmds, expected)


def test_replace_same_values_keeps_priority(runner: Runner) -> None:
    cmds = [sell(1, 100, 5), sell(2, 100, 5), replace(1), replace(1, price=100, qty=5)]
    cmds += [buy(3, 100, 1)]
    expected = [*accs(1, 2), rep(1, 100, 5), rep(1, 100, 5), acc(3), trade(3, 1, 100, 1)]
    check(runner, cmds, expected)


def test_replace_qty_up_loses_priority(runner: Runner) -> None:
    cmds = [sell(1, 100, 5), sell(2, 100, 5), replace(1, qty=6), buy(3, 100, 6), cancel(1)]
    expected = [
        *accs(1, 2),
        rep(1, 100, 6),
        acc(3),
        trade(3, 2, 100, 5),
        trade(3, 1, 100, 1),
        cxl(1, "user", 5),
    ]
    check(runner, cmds, expected)


def test_replace_price_change_loses_priority(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), sell(2, 100, 1), replace(1, price=101), replace(1, price=100)]
    cmds += [buy(3, 100, 1)]
    expected = [*accs(1, 2), rep(1, 101, 1), rep(1, 100, 1), acc(3), trade(3, 2, 100, 1)]
    check(runner, cmds, expected)


def test_replace_qty_is_the_new_open_quantity(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 5),
        sell(2, 100, 5),
        buy(3, 100, 2),
        replace(1, qty=3),  # equal to what is open (3): keeps priority
        buy(4, 100, 1),
        replace(1, qty=4),  # open is 2 now: larger, loses priority (though below the original 5)
        buy(5, 100, 1),
        cancel(1),
    ]
    expected = [
        *accs(1, 2, 3),
        trade(3, 1, 100, 2),
        rep(1, 100, 3),
        acc(4),
        trade(4, 1, 100, 1),
        rep(1, 100, 4),
        acc(5),
        trade(5, 2, 100, 1),
        cxl(1, "user", 4),
    ]
    check(runner, cmds, expected)


def test_replace_that_crosses_trades(runner: Runner) -> None:
    cmds = [buy(1, 99, 3, owner="a"), sell(2, 100, 2, owner="b"), replace(1, price=100), cancel(1)]
    expected = [*accs(1, 2), rep(1, 100, 3), trade(1, 2, 100, 2), cxl(1, "user", 1)]
    check(runner, cmds, expected)


def test_replace_qty_up_and_price_through_sweeps(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 1),
        sell(3, 102, 1),
        buy(4, 99, 1),
        replace(4, price=101, qty=3),
    ]
    expected = [*accs(1, 2, 3, 4), rep(4, 101, 3), trade(4, 1, 100, 1), trade(4, 2, 101, 1)]
    check(runner, [*cmds, sell(5, 101, 1)], [*expected, acc(5), trade(5, 4, 101, 1)])


def test_replaced_order_keeps_owner_and_tif(runner: Runner) -> None:
    cmds = [
        buy(1, 99, 1, owner="a", tif="day"),
        sell(2, 100, 1, owner="a"),
        replace(1, price=100),
        eod(),
    ]
    expected = [*accs(1, 2), rep(1, 100, 1), cxl(2, "self_trade", 1), cxl(1, "end_of_day", 1)]
    check(runner, cmds, expected)


def test_replace_post_only_that_would_cross_is_cancelled(runner: Runner) -> None:
    cmds = [buy(1, 99, 2, post_only=True), sell(2, 100, 1), replace(1, price=100), cancel(1)]
    expected = [*accs(1, 2), rep(1, 100, 2), cxl(1, "post_only", 2), rej(1, "unknown_order")]
    check(runner, cmds, expected)


def test_replace_post_only_not_crossing_rests(runner: Runner) -> None:
    cmds = [buy(1, 98, 2, post_only=True), sell(2, 100, 1), replace(1, price=99, qty=5), cancel(1)]
    check(runner, cmds, [*accs(1, 2), rep(1, 99, 5), cxl(1, "user", 5)])


def test_replace_unknown_order(runner: Runner) -> None:
    check(runner, [replace(7, qty=1)], [rej(7, "unknown_order")])


def test_replace_of_pending_stops_rejected(runner: Runner) -> None:
    cmds = [stop(1, "buy", 100, 1), stop_limit(2, "sell", 90, 90, 1)]
    cmds += [replace(1, qty=2), replace(2, price=91), cancel(1), cancel(2)]
    expected = [
        *accs(1, 2),
        rej(1, "unknown_order"),
        rej(2, "unknown_order"),
        cxl(1, "user", 1),
        cxl(2, "user", 1),
    ]
    check(runner, cmds, expected)


def test_replace_of_finished_orders_rejected(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), buy(2, 100, 1), buy(3, 100, 1), cancel(3), buy(4, 100, 0)]
    cmds += [replace(1, qty=1), replace(2, qty=1), replace(3, qty=1), replace(4, qty=1)]
    expected = [
        *accs(1, 2),
        trade(2, 1, 100, 1),
        acc(3),
        cxl(3, "user", 1),
        rej(4, "invalid_qty"),
        *[rej(oid, "unknown_order") for oid in (1, 2, 3, 4)],
    ]
    check(runner, cmds, expected)


def test_replace_of_triggered_stop_limit_now_resting(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), stop_limit(2, "buy", 100, 99, 2), buy(3, 100, 1), replace(2, qty=1)]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 1), trig(2), rep(2, 99, 1)])


@pytest.mark.parametrize("bad_qty", [0, -1, True, 1.5])
def test_replace_invalid_qty(runner: Runner, bad_qty: Any) -> None:
    cmds = [buy(1, 100, 2), replace(1, qty=bad_qty), cancel(1)]
    check(runner, cmds, [acc(1), rej(1, "invalid_qty"), cxl(1, "user", 2)])


@pytest.mark.parametrize("bad_price", [0, -5, True, 99.5])
def test_replace_invalid_price(runner: Runner, bad_price: Any) -> None:
    cmds = [buy(1, 100, 2), replace(1, price=bad_price), sell(2, 100, 1)]
    check(runner, cmds, [acc(1), rej(1, "invalid_price"), acc(2), trade(2, 1, 100, 1)])


def test_replace_validation_order(runner: Runner) -> None:
    cmds = [replace(9, qty=0, price=0), buy(1, 100, 1), replace(1, qty=0, price=0)]
    check(runner, cmds, [rej(9, "unknown_order"), acc(1), rej(1, "invalid_qty")])


def test_replaced_order_keeps_acceptance_rank_for_end_of_day(runner: Runner) -> None:
    cmds = [buy(1, 99, 1, tif="day"), buy(2, 99, 1, tif="day"), replace(1, qty=2), eod()]
    expected = [*accs(1, 2), rep(1, 99, 2), cxl(1, "end_of_day", 2), cxl(2, "end_of_day", 1)]
    check(runner, cmds, expected)


# -- rule 8: end of day -----------------------------------------------------------------------


def test_end_of_day_cancels_day_orders_and_day_stops_in_acceptance_order(runner: Runner) -> None:
    cmds = [
        buy(1, 99, 1, tif="day"),
        sell(2, 105, 1),
        stop(3, "buy", 110, 1, tif="day"),
        sell(4, 106, 2, tif="day"),
        stop_limit(5, "buy", 120, 121, 1),
        buy(6, 98, 3, tif="day"),
        stop_limit(7, "sell", 90, 89, 1, tif="day"),
        buy(8, 97, 1, tif="gtc"),
        eod(),
        cancel(2),
        cancel(5),
        cancel(8),
        cancel(1),
        cancel(3),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5, 6, 7, 8),
        cxl(1, "end_of_day", 1),
        cxl(3, "end_of_day", 1),
        cxl(4, "end_of_day", 2),
        cxl(6, "end_of_day", 3),
        cxl(7, "end_of_day", 1),
        cxl(2, "user", 1),
        cxl(5, "user", 1),
        cxl(8, "user", 1),
        rej(1, "unknown_order"),
        rej(3, "unknown_order"),
    ]
    check(runner, cmds, expected)


def test_end_of_day_reports_open_quantity(runner: Runner) -> None:
    cmds = [sell(1, 100, 5, tif="day"), buy(2, 100, 2), eod()]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 2), cxl(1, "end_of_day", 3)])


def test_end_of_day_with_nothing_to_do(runner: Runner) -> None:
    cmds = [eod(), buy(1, 100, 1), eod(), eod(), sell(2, 100, 1, tif="day"), eod()]
    check(runner, cmds, [acc(1), acc(2), trade(2, 1, 100, 1)])


def test_day_orders_after_end_of_day_live_until_the_next(runner: Runner) -> None:
    cmds = [buy(1, 100, 1, tif="day"), eod(), buy(2, 100, 1, tif="day"), sell(3, 100, 1)]
    cmds += [buy(4, 99, 1, tif="day"), eod()]
    expected = [
        acc(1),
        cxl(1, "end_of_day", 1),
        *accs(2, 3),
        trade(3, 2, 100, 1),
        acc(4),
        cxl(4, "end_of_day", 1),
    ]
    check(runner, cmds, expected)
