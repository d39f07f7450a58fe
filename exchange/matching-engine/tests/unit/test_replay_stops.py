"""Replay contract, rule 2: stop and stop-limit orders (hidden until triggered by the
last trade price, cascades, a trigger batch fixed by one price)."""

from __future__ import annotations

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

# -- rule 2: stops ------------------------------------------------------------------------------


def test_stop_rests_hidden(runner: Runner) -> None:
    cmds = [
        stop(1, "sell", 99, 1),
        stop_limit(2, "sell", 99, 99, 1),
        buy(3, 100, 1),
        market(4, "buy", 1),
    ]
    check(runner, cmds, [*accs(1, 2, 3, 4), cxl(4, "market_unfilled", 1)])


def test_buy_stop_triggers_as_market(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 5),
        stop(3, "buy", 100, 2),
        buy(4, 100, 1),
        cancel(3),
        cancel(2),
    ]
    expected = [
        *accs(1, 2, 3, 4),
        trade(4, 1, 100, 1),
        trig(3),  # no second "accepted"
        trade(3, 2, 101, 2),
        rej(3, "unknown_order"),
        cxl(2, "user", 3),
    ]
    check(runner, cmds, expected)


def test_buy_stop_above_last_price_does_not_fire(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), stop(2, "buy", 101, 1), buy(3, 100, 1), cancel(2)]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 1), cxl(2, "user", 1)])


def test_sell_stop_fires_at_or_below_its_stop_price(runner: Runner) -> None:
    cmds = [
        buy(1, 100, 1),
        buy(2, 99, 3),
        stop(3, "sell", 100, 2),
        stop(4, "sell", 98, 1),
        sell(5, 100, 1),
        cancel(4),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5),
        trade(5, 1, 100, 1),
        trig(3),
        trade(3, 2, 99, 2),
        cxl(4, "user", 1),
    ]
    check(runner, cmds, expected)


def test_stop_limit_triggers_and_rests_with_its_tif(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        stop_limit(2, "buy", 100, 100, 3, tif="day"),
        buy(3, 100, 1),
        sell(4, 100, 1),
        eod(),
    ]
    expected = [
        *accs(1, 2, 3),
        trade(3, 1, 100, 1),
        trig(2),
        acc(4),
        trade(4, 2, 100, 1),
        cxl(2, "end_of_day", 2),
    ]
    check(runner, cmds, expected)


def test_stop_limit_trades_up_to_its_limit_then_rests(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 1),
        sell(3, 102, 1),
        stop_limit(4, "buy", 100, 101, 3),
        buy(5, 100, 1),
        cancel(4),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5),
        trade(5, 1, 100, 1),
        trig(4),
        trade(4, 2, 101, 1),
        cxl(4, "user", 2),
    ]
    check(runner, cmds, expected)


def test_triggered_stop_limit_fok_killed(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 1),
        stop_limit(3, "buy", 100, 101, 5, tif="fok"),
        buy(4, 100, 1),
    ]
    check(runner, cmds, [*accs(1, 2, 3, 4), trade(4, 1, 100, 1), trig(3), cxl(3, "fok", 5)])


def test_triggered_stop_limit_ioc_remainder(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 1),
        stop_limit(3, "buy", 100, 101, 5, tif="ioc"),
        buy(4, 100, 1),
    ]
    expected = [
        *accs(1, 2, 3, 4),
        trade(4, 1, 100, 1),
        trig(3),
        trade(3, 2, 101, 1),
        cxl(3, "ioc", 4),
    ]
    check(runner, cmds, expected)


def test_triggered_stop_limit_keeps_post_only(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 1),
        stop_limit(3, "buy", 100, 101, 1, post_only=True),
        buy(4, 100, 1),
    ]
    check(runner, cmds, [*accs(1, 2, 3, 4), trade(4, 1, 100, 1), trig(3), cxl(3, "post_only", 1)])


@pytest.mark.parametrize("tif", ["gtc", "day", "ioc", "fok"])
def test_triggered_stop_is_a_market_order_whatever_its_tif(runner: Runner, tif: str) -> None:
    cmds = [sell(1, 100, 1), sell(2, 101, 1), stop(3, "buy", 100, 3, tif=tif), buy(4, 100, 1)]
    expected = [
        *accs(1, 2, 3, 4),
        trade(4, 1, 100, 1),
        trig(3),
        trade(3, 2, 101, 1),
        cxl(3, "market_unfilled", 2),
    ]
    check(runner, cmds, expected)


def test_triggered_stop_self_trade(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1, owner="b"),
        sell(2, 101, 1, owner="a"),
        sell(3, 102, 1, owner="b"),
        stop(4, "buy", 100, 1, owner="a"),
        buy(5, 100, 1, owner="c"),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5),
        trade(5, 1, 100, 1),
        trig(4),
        cxl(2, "self_trade", 1),
        trade(4, 3, 102, 1),
    ]
    check(runner, cmds, expected)


def test_accepting_a_stop_does_not_fire_it(runner: Runner) -> None:
    # The last trade (100) already satisfies the stop, but only later trades fire stops.
    cmds = [
        sell(1, 100, 1),
        buy(2, 100, 1),
        stop(3, "buy", 99, 1),
        buy(4, 90, 1),  # no trade: still nothing fires
        sell(5, 101, 2),
        buy(6, 101, 1),
    ]
    expected = [
        *accs(1, 2),
        trade(2, 1, 100, 1),
        *accs(3, 4, 5, 6),
        trade(6, 5, 101, 1),
        trig(3),
        trade(3, 5, 101, 1),
    ]
    check(runner, cmds, expected)


def test_stops_use_the_last_trade_price_of_the_command(runner: Runner) -> None:
    # Buy 6 prints 100 then 102: L is 102, so the sell stop at 101 must not fire.
    cmds = [
        sell(1, 100, 1),
        sell(2, 102, 1),
        sell(3, 103, 1),
        stop(4, "sell", 101, 1),
        stop(5, "buy", 101, 1),
        buy(6, 102, 2),
        cancel(4),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5, 6),
        trade(6, 1, 100, 1),
        trade(6, 2, 102, 1),
        trig(5),
        trade(5, 3, 103, 1),
        cxl(4, "user", 1),
    ]
    check(runner, cmds, expected)


def test_self_trade_cancel_does_not_set_the_last_price(runner: Runner) -> None:
    # Buy 5 trades at 100, then cancels its owner's sell at 101: L stays 100, so the buy
    # stop at 101 does not fire.
    cmds = [
        sell(1, 100, 1, owner="b"),
        sell(2, 101, 1, owner="a"),
        stop(3, "buy", 101, 1),
        sell(4, 102, 1, owner="c"),
        buy(5, 101, 2, owner="a"),
        cancel(3),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5),
        trade(5, 1, 100, 1),
        cxl(2, "self_trade", 1),
        cxl(3, "user", 1),
    ]
    check(runner, cmds, expected)


def test_stops_fire_in_acceptance_order_each_running_fully(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 1),
        sell(3, 102, 1),
        stop(4, "buy", 100, 1),
        stop(5, "buy", 99, 1),
        buy(6, 100, 1),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5, 6),
        trade(6, 1, 100, 1),
        trig(4),
        trade(4, 2, 101, 1),
        trig(5),
        trade(5, 3, 102, 1),
    ]
    check(runner, cmds, expected)


def test_stop_cascade(runner: Runner) -> None:
    # Stop 4 does not fire at 100; it fires once stop 5's own trade prints 101.
    cmds = [
        sell(1, 100, 1),
        sell(2, 101, 1),
        sell(3, 102, 1),
        stop(4, "buy", 101, 1),
        stop(5, "buy", 100, 1),
        buy(6, 100, 1),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5, 6),
        trade(6, 1, 100, 1),
        trig(5),
        trade(5, 2, 101, 1),
        trig(4),
        trade(4, 3, 102, 1),
    ]
    check(runner, cmds, expected)


def test_sell_stop_cascade(runner: Runner) -> None:
    cmds = [
        buy(1, 100, 1),
        buy(2, 99, 1),
        buy(3, 98, 1),
        stop_limit(4, "sell", 99, 98, 2),
        stop(5, "sell", 100, 1),
        sell(6, 100, 1),
        cancel(4),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5, 6),
        trade(6, 1, 100, 1),
        trig(5),
        trade(5, 2, 99, 1),
        trig(4),
        trade(4, 3, 98, 1),
        cxl(4, "user", 1),
    ]
    check(runner, cmds, expected)


def test_stop_batch_is_fixed_by_one_last_price(runner: Runner) -> None:
    # At 100 both stops fire. Stop 4's trade moves the last price to 101, under which the
    # sell stop 5 would no longer fire, but it is already in the batch and still runs.
    cmds = [
        buy(1, 99, 1),
        sell(2, 100, 1),
        sell(3, 101, 1),
        stop(4, "buy", 100, 1),
        stop(5, "sell", 100, 1),
        buy(6, 100, 1),
    ]
    expected = [
        *accs(1, 2, 3, 4, 5, 6),
        trade(6, 2, 100, 1),
        trig(4),
        trade(4, 3, 101, 1),
        trig(5),
        trade(5, 1, 99, 1),
    ]
    check(runner, cmds, expected)


def test_triggered_stop_without_liquidity(runner: Runner) -> None:
    # Stop 2 fires but finds no liquidity; stop 3 (105) never fires at 100.
    cmds = [
        sell(1, 100, 1),
        stop(2, "buy", 100, 1),
        stop(3, "buy", 105, 1),
        buy(4, 100, 1),
        cancel(3),
    ]
    expected = [
        *accs(1, 2, 3, 4),
        trade(4, 1, 100, 1),
        trig(2),
        cxl(2, "market_unfilled", 1),
        cxl(3, "user", 1),
    ]
    check(runner, cmds, expected)


def test_stops_fired_by_a_replace(runner: Runner) -> None:
    cmds = [
        buy(1, 99, 1),
        sell(2, 100, 1),
        sell(3, 101, 1),
        stop(4, "buy", 100, 1),
        replace(1, price=100),
    ]
    expected = [
        *accs(1, 2, 3, 4),
        rep(1, 100, 1),
        trade(1, 2, 100, 1),
        trig(4),
        trade(4, 3, 101, 1),
    ]
    check(runner, cmds, expected)
