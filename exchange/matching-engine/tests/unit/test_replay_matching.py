"""Replay contract: matching (price-time priority, self-trade prevention), post-only,
fill-or-kill, and what happens to remainders (IOC, market orders)."""

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
    sell,
    trade,
)

# -- rule 4: matching -----------------------------------------------------------------------


def test_buy_takes_lowest_ask_first(runner: Runner) -> None:
    cmds = [sell(1, 101, 1), sell(2, 100, 1), sell(3, 102, 1), buy(4, 102, 3)]
    expected = [
        *accs(1, 2, 3, 4),
        trade(4, 2, 100, 1),
        trade(4, 1, 101, 1),
        trade(4, 3, 102, 1),
    ]
    check(runner, cmds, expected)


def test_sell_takes_highest_bid_first(runner: Runner) -> None:
    cmds = [buy(1, 99, 1), buy(2, 101, 1), buy(3, 100, 1), sell(4, 99, 3)]
    expected = [*accs(1, 2, 3, 4), trade(4, 2, 101, 1), trade(4, 3, 100, 1), trade(4, 1, 99, 1)]
    check(runner, cmds, expected)


def test_time_priority_within_a_level(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), sell(2, 100, 1), sell(3, 100, 1), buy(4, 100, 2), cancel(3)]
    expected = [*accs(1, 2, 3, 4), trade(4, 1, 100, 1), trade(4, 2, 100, 1), cxl(3, "user", 1)]
    check(runner, cmds, expected)


def test_limit_does_not_trade_through_its_price(runner: Runner) -> None:
    cmds = [sell(1, 101, 1), buy(2, 100, 1), sell(3, 100, 1)]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 2, 100, 1)])


def test_partial_fill_taker_rests_remainder_at_its_price(runner: Runner) -> None:
    cmds = [sell(1, 100, 2), buy(2, 101, 5), sell(3, 101, 1), cancel(2)]
    expected = [
        *accs(1, 2),
        trade(2, 1, 100, 2),
        acc(3),
        trade(3, 2, 101, 1),
        cxl(2, "user", 2),
    ]
    check(runner, cmds, expected)


def test_partial_fill_maker_keeps_its_priority(runner: Runner) -> None:
    cmds = [sell(1, 100, 5), sell(2, 100, 5), buy(3, 100, 2), buy(4, 100, 4), cancel(2)]
    expected = [
        *accs(1, 2, 3),
        trade(3, 1, 100, 2),
        acc(4),
        trade(4, 1, 100, 3),
        trade(4, 2, 100, 1),
        cxl(2, "user", 4),
    ]
    check(runner, cmds, expected)


def test_trade_price_is_the_makers(runner: Runner) -> None:
    cmds = [buy(1, 105, 1), sell(2, 100, 1), sell(3, 95, 1), buy(4, 110, 1)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 105, 1), *accs(3, 4), trade(4, 3, 95, 1)])


# -- rule 4: self-trade prevention ------------------------------------------------------------


def test_self_trade_cancels_resting_and_matching_continues(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 2, owner="a"),
        sell(2, 100, 2, owner="b"),
        buy(3, 100, 3, owner="a"),
        cancel(3),
    ]
    expected = [
        *accs(1, 2, 3),
        cxl(1, "self_trade", 2),
        trade(3, 2, 100, 2),
        cxl(3, "user", 1),
    ]
    check(runner, cmds, expected)


def test_self_trade_across_levels(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1, owner="a"),
        sell(2, 101, 1, owner="a"),
        sell(3, 101, 1, owner="b"),
        buy(4, 101, 2, owner="a"),
        sell(5, 101, 1, owner="c"),
    ]
    expected = [
        *accs(1, 2, 3, 4),
        cxl(1, "self_trade", 1),
        cxl(2, "self_trade", 1),
        trade(4, 3, 101, 1),
        acc(5),
        trade(5, 4, 101, 1),
    ]
    check(runner, cmds, expected)


def test_self_trade_only_for_orders_actually_reached(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1, owner="b"),
        sell(2, 101, 1, owner="a"),
        buy(3, 101, 1, owner="a"),
        buy(4, 99, 1, owner="a"),
        cancel(2),
    ]
    expected = [*accs(1, 2, 3), trade(3, 1, 100, 1), acc(4), cxl(2, "user", 1)]
    check(runner, cmds, expected)


def test_self_trade_on_sell_side(runner: Runner) -> None:
    cmds = [buy(1, 100, 4, owner="z"), buy(2, 99, 1, owner="y"), sell(3, 99, 2, owner="z")]
    expected = [*accs(1, 2, 3), cxl(1, "self_trade", 4), trade(3, 2, 99, 1)]
    check(runner, [*cmds, cancel(3)], [*expected, cxl(3, "user", 1)])


# -- rule 3: post-only ------------------------------------------------------------------------


def test_post_only_that_would_cross_is_cancelled(runner: Runner) -> None:
    cmds = [sell(1, 100, 2), buy(2, 100, 3, post_only=True), buy(3, 100, 2)]
    expected = [*accs(1, 2), cxl(2, "post_only", 3), acc(3), trade(3, 1, 100, 2)]
    check(runner, cmds, expected)


def test_post_only_through_the_best_is_cancelled(runner: Runner) -> None:
    cmds = [buy(1, 100, 1), sell(2, 95, 4, post_only=True)]
    check(runner, cmds, [*accs(1, 2), cxl(2, "post_only", 4)])


def test_post_only_not_crossing_rests_and_makes(runner: Runner) -> None:
    cmds = [sell(1, 101, 1), buy(2, 100, 1, post_only=True), sell(3, 100, 1)]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 2, 100, 1)])


def test_post_only_on_empty_book_rests(runner: Runner) -> None:
    cmds = [sell(1, 100, 1, post_only=True), buy(2, 100, 1)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 1)])


def test_post_only_false_behaves_as_plain_limit(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), buy(2, 100, 1, post_only=False)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 1)])


def test_post_only_crossing_own_order_is_still_cancelled(runner: Runner) -> None:
    # "The opposite best" is the best opposite price whoever owns it; no self-trade cancel.
    cmds = [sell(1, 100, 1, owner="a"), buy(2, 100, 1, owner="a", post_only=True), cancel(1)]
    check(runner, cmds, [*accs(1, 2), cxl(2, "post_only", 1), cxl(1, "user", 1)])


# -- rule 3: fill-or-kill ---------------------------------------------------------------------


def test_fok_fills_completely_across_levels(runner: Runner) -> None:
    cmds = [sell(1, 100, 2), sell(2, 101, 2), buy(3, 101, 4, tif="fok")]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 2), trade(3, 2, 101, 2)])


def test_fok_sell_fills_exactly(runner: Runner) -> None:
    cmds = [buy(1, 100, 2), buy(2, 99, 1), sell(3, 99, 3, tif="fok")]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 2), trade(3, 2, 99, 1)])


def test_fok_killed_when_not_enough_quantity(runner: Runner) -> None:
    cmds = [sell(1, 100, 2), buy(2, 100, 3, tif="fok"), buy(3, 100, 2)]
    expected = [*accs(1, 2), cxl(2, "fok", 3), acc(3), trade(3, 1, 100, 2)]
    check(runner, cmds, expected)


def test_fok_counts_only_acceptable_prices(runner: Runner) -> None:
    cmds = [sell(1, 100, 2), sell(2, 102, 5), buy(3, 101, 3, tif="fok")]
    check(runner, cmds, [*accs(1, 2, 3), cxl(3, "fok", 3)])


def test_fok_on_empty_book(runner: Runner) -> None:
    check(runner, [sell(1, 100, 1, tif="fok")], [acc(1), cxl(1, "fok", 1)])


def test_fok_does_not_count_same_owner_liquidity(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 2, owner="a"),
        sell(2, 100, 2, owner="b"),
        buy(3, 100, 3, tif="fok", owner="a"),
        cancel(1),
        cancel(2),
    ]
    # Killed outright: no trades and no self-trade cancels either.
    expected = [*accs(1, 2, 3), cxl(3, "fok", 3), cxl(1, "user", 2), cxl(2, "user", 2)]
    check(runner, cmds, expected)


def test_fok_self_trade_cancels_happen_when_it_fills(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 2, owner="a"),
        sell(2, 100, 3, owner="b"),
        buy(3, 100, 3, tif="fok", owner="a"),
    ]
    check(runner, cmds, [*accs(1, 2, 3), cxl(1, "self_trade", 2), trade(3, 2, 100, 3)])


def test_fok_with_null_owner_counts_everyone(runner: Runner) -> None:
    cmds = [sell(1, 100, 2, owner="a"), sell(2, 100, 2, owner="b"), buy(3, 100, 4, tif="fok")]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 2), trade(3, 2, 100, 2)])


# -- rule 5: remainders -----------------------------------------------------------------------


def test_ioc_remainder_cancelled(runner: Runner) -> None:
    cmds = [sell(1, 100, 2), buy(2, 100, 5, tif="ioc"), sell(3, 100, 1)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 2), cxl(2, "ioc", 3), acc(3)])


def test_ioc_without_liquidity(runner: Runner) -> None:
    check(runner, [buy(1, 100, 5, tif="ioc")], [acc(1), cxl(1, "ioc", 5)])


def test_ioc_fully_filled_has_no_cancel(runner: Runner) -> None:
    cmds = [sell(1, 100, 5), buy(2, 100, 3, tif="ioc"), eod(), cancel(2), cancel(1)]
    expected = [*accs(1, 2), trade(2, 1, 100, 3), rej(2, "unknown_order"), cxl(1, "user", 2)]
    check(runner, cmds, expected)


def test_market_sweeps_any_price(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), sell(2, 150, 1), market(3, "buy", 2)]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 1), trade(3, 2, 150, 1)])


def test_market_sell_sweeps_bids(runner: Runner) -> None:
    cmds = [buy(1, 100, 1), buy(2, 1, 1), market(3, "sell", 2)]
    check(runner, cmds, [*accs(1, 2, 3), trade(3, 1, 100, 1), trade(3, 2, 1, 1)])


def test_market_remainder_unfilled(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), market(2, "buy", 3)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 1), cxl(2, "market_unfilled", 2)])


def test_market_on_empty_book(runner: Runner) -> None:
    check(runner, [market(1, "sell", 4)], [acc(1), cxl(1, "market_unfilled", 4)])


@pytest.mark.parametrize("tif", ["gtc", "day", "ioc", "fok"])
def test_market_ignores_tif(runner: Runner, tif: str) -> None:
    cmds = [sell(1, 100, 1), market(2, "buy", 3, tif=tif), sell(3, 100, 1)]
    expected = [*accs(1, 2), trade(2, 1, 100, 1), cxl(2, "market_unfilled", 2), acc(3)]
    check(runner, cmds, expected)


def test_market_ignores_post_only(runner: Runner) -> None:
    cmds = [sell(1, 100, 1), market(2, "buy", 1, post_only=True)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 1)])


def test_market_self_trade(runner: Runner) -> None:
    cmds = [sell(1, 100, 1, owner="a"), sell(2, 101, 1, owner="b"), market(3, "buy", 2, owner="a")]
    expected = [
        *accs(1, 2, 3),
        cxl(1, "self_trade", 1),
        trade(3, 2, 101, 1),
        cxl(3, "market_unfilled", 1),
    ]
    check(runner, cmds, expected)
