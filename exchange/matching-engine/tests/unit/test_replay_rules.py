"""One or more focused tests per rule of the replay contract, with exact event lists.

Every test runs against the reference model and the engine (the ``runner`` fixture).
Events are compared on contract fields only ("seq", "type" and the type's own fields).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from model import Runner, strip_event, strip_events

Cmd = dict[str, Any]
Ev = dict[str, Any]

MISSING: Any = object()  # a field left out of the command entirely


# -- command builders ---------------------------------------------------------------------


def _new(oid: int, side: str, otype: str, **fields: Any) -> Cmd:
    cmd: Cmd = {"op": "new", "id": oid, "side": side, "type": otype}
    cmd.update({k: v for k, v in fields.items() if v is not MISSING})
    return cmd


def buy(oid: int, price: Any, qty: Any, **extra: Any) -> Cmd:
    return _new(oid, "buy", "limit", price=price, qty=qty, **extra)


def sell(oid: int, price: Any, qty: Any, **extra: Any) -> Cmd:
    return _new(oid, "sell", "limit", price=price, qty=qty, **extra)


def market(oid: int, side: str, qty: Any, **extra: Any) -> Cmd:
    return _new(oid, side, "market", qty=qty, **extra)


def stop(oid: int, side: str, stop_price: Any, qty: Any, **extra: Any) -> Cmd:
    return _new(oid, side, "stop", stop_price=stop_price, qty=qty, **extra)


def stop_limit(oid: int, side: str, stop_price: Any, price: Any, qty: Any, **extra: Any) -> Cmd:
    return _new(oid, side, "stop_limit", stop_price=stop_price, price=price, qty=qty, **extra)


def cancel(oid: int) -> Cmd:
    return {"op": "cancel", "id": oid}


def replace(oid: int, **fields: Any) -> Cmd:
    return {"op": "replace", "id": oid, **fields}


def eod() -> Cmd:
    return {"op": "end_of_day"}


# -- expected events (seq is added by `check`) ----------------------------------------------


def acc(oid: int) -> Ev:
    return {"type": "accepted", "id": oid}


def rej(oid: int, reason: str) -> Ev:
    return {"type": "rejected", "id": oid, "reason": reason}


def trade(taker: int, maker: int, price: int, qty: int) -> Ev:
    return {"type": "trade", "taker": taker, "maker": maker, "price": price, "qty": qty}


def cxl(oid: int, reason: str, qty: int) -> Ev:
    return {"type": "cancelled", "id": oid, "reason": reason, "qty": qty}


def rep(oid: int, price: int, qty: int) -> Ev:
    return {"type": "replaced", "id": oid, "price": price, "qty": qty}


def trig(oid: int) -> Ev:
    return {"type": "triggered", "id": oid}


def accs(*oids: int) -> list[Ev]:
    return [acc(oid) for oid in oids]


def run(runner: Runner, cmds: list[Cmd]) -> list[Ev]:
    return strip_events(runner(copy.deepcopy(cmds)))


def check(runner: Runner, cmds: list[Cmd], expected: list[Ev]) -> None:
    numbered = [{"seq": i, **event} for i, event in enumerate(expected, start=1)]
    assert run(runner, cmds) == numbered


# -- seq and stripping ----------------------------------------------------------------------


def test_seq_counts_one_to_n_over_whole_stream(runner: Runner) -> None:
    cmds = [sell(1, 100, 2), buy(2, 100, 1), cancel(1), cancel(99), eod(), buy(3, 99, 1)]
    events = run(runner, cmds)
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert events == [
        {"seq": 1, "type": "accepted", "id": 1},
        {"seq": 2, "type": "accepted", "id": 2},
        {"seq": 3, "type": "trade", "taker": 2, "maker": 1, "price": 100, "qty": 1},
        {"seq": 4, "type": "cancelled", "id": 1, "reason": "user", "qty": 1},
        {"seq": 5, "type": "rejected", "id": 99, "reason": "unknown_order"},
        {"seq": 6, "type": "accepted", "id": 3},
    ]


def test_empty_stream_gives_no_events(runner: Runner) -> None:
    check(runner, [], [])


def test_strip_event_keeps_only_contract_fields() -> None:
    raw = {"seq": 3, "type": "trade", "taker": 1, "maker": 2, "price": 5, "qty": 1, "ts": 9}
    assert strip_event(raw) == {"seq": 3, **trade(1, 2, 5, 1)}
    raw = {"seq": 1, "type": "accepted", "id": 4, "side": "buy"}
    assert strip_event(raw) == {"seq": 1, **acc(4)}
    assert strip_event({"seq": 2, "type": "cancelled", "id": 4}) == {
        "seq": 2,
        "type": "cancelled",
        "id": 4,
    }


# -- rule 1: validation -----------------------------------------------------------------------


def test_valid_limit_is_accepted_and_rests_silently(runner: Runner) -> None:
    check(runner, [buy(1, 100, 5)], [acc(1)])


def test_duplicate_id_rejected(runner: Runner) -> None:
    check(runner, [buy(1, 100, 5), sell(1, 101, 5)], [acc(1), rej(1, "duplicate_id")])


def test_duplicate_id_after_rejection(runner: Runner) -> None:
    # Every id presented is used up, even when its order was rejected.
    cmds = [buy(1, 100, 0), buy(1, 100, 1), buy(1, 100, 1), cancel(1)]
    expected = [
        rej(1, "invalid_qty"),
        rej(1, "duplicate_id"),
        rej(1, "duplicate_id"),
        rej(1, "unknown_order"),
    ]
    check(runner, cmds, expected)


def test_duplicate_id_after_order_finished(runner: Runner) -> None:
    cmds = [
        sell(1, 100, 1),
        buy(2, 100, 1),
        sell(1, 100, 1),
        buy(3, 100, 1, tif="ioc"),
        buy(3, 99, 1),
    ]
    expected = [
        *accs(1, 2),
        trade(2, 1, 100, 1),
        rej(1, "duplicate_id"),
        acc(3),
        cxl(3, "ioc", 1),
        rej(3, "duplicate_id"),
    ]
    check(runner, cmds, expected)


def test_duplicate_id_of_a_stop(runner: Runner) -> None:
    check(runner, [stop(1, "buy", 100, 1), buy(1, 100, 1)], [acc(1), rej(1, "duplicate_id")])


def test_ids_named_only_by_cancel_or_replace_are_not_used_up(runner: Runner) -> None:
    cmds = [cancel(5), replace(6, qty=1), buy(5, 100, 1), buy(6, 100, 1)]
    check(runner, cmds, [rej(5, "unknown_order"), rej(6, "unknown_order"), *accs(5, 6)])


@pytest.mark.parametrize("bad_qty", [0, -3, True, False, 1.5, "5", None, MISSING])
def test_invalid_qty(runner: Runner, bad_qty: Any) -> None:
    # The rejected order does not rest: the later sell finds nothing to trade with.
    cmds = [buy(1, 100, bad_qty), sell(2, 100, 1)]
    check(runner, cmds, [rej(1, "invalid_qty"), acc(2)])


@pytest.mark.parametrize("otype", ["market", "stop", "stop_limit"])
def test_invalid_qty_on_every_order_type(runner: Runner, otype: str) -> None:
    cmd = _new(1, "sell", otype, price=100, stop_price=100, qty=0)
    check(runner, [cmd], [rej(1, "invalid_qty")])


@pytest.mark.parametrize("bad_price", [0, -1, True, 100.5, "100", None, MISSING])
def test_limit_invalid_price(runner: Runner, bad_price: Any) -> None:
    check(runner, [sell(1, bad_price, 1), buy(2, 100, 1)], [rej(1, "invalid_price"), acc(2)])


@pytest.mark.parametrize("bad_stop", [0, -1, True, None, MISSING])
def test_stop_invalid_stop_price(runner: Runner, bad_stop: Any) -> None:
    check(runner, [stop(1, "buy", bad_stop, 1)], [rej(1, "invalid_price")])


@pytest.mark.parametrize("bad_stop", [0, -1, True, None, MISSING])
def test_stop_limit_invalid_stop_price(runner: Runner, bad_stop: Any) -> None:
    check(runner, [stop_limit(1, "buy", bad_stop, 100, 1)], [rej(1, "invalid_price")])


@pytest.mark.parametrize("bad_price", [0, -1, True, None, MISSING])
def test_stop_limit_invalid_limit_price(runner: Runner, bad_price: Any) -> None:
    check(runner, [stop_limit(1, "sell", 100, bad_price, 1)], [rej(1, "invalid_price")])


def test_validation_order_duplicate_before_qty_before_price(runner: Runner) -> None:
    cmds = [buy(1, 100, 1), buy(1, 0, 0), buy(2, 0, 0), stop(3, "buy", 0, -1)]
    expected = [acc(1), rej(1, "duplicate_id"), rej(2, "invalid_qty"), rej(3, "invalid_qty")]
    check(runner, cmds, expected)


@pytest.mark.parametrize("junk", [0, -5, None, "x", True])
def test_market_ignores_price(runner: Runner, junk: Any) -> None:
    check(runner, [market(1, "buy", 2, price=junk)], [acc(1), cxl(1, "market_unfilled", 2)])


@pytest.mark.parametrize("junk", [0, -5, None, "x", True])
def test_limit_ignores_stop_price(runner: Runner, junk: Any) -> None:
    cmds = [buy(1, 100, 1, stop_price=junk), sell(2, 100, 1)]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 1)])


def test_plain_stop_needs_no_limit_price(runner: Runner) -> None:
    check(runner, [stop(1, "buy", 100, 1, price=0), stop(2, "sell", 90, 1)], accs(1, 2))


def test_tif_defaults_to_gtc(runner: Runner) -> None:
    cmds = [buy(1, 100, 2), eod(), sell(2, 100, 1), sell(3, 100, 1, tif="gtc"), eod()]
    check(runner, cmds, [acc(1), acc(2), trade(2, 1, 100, 1), acc(3), trade(3, 1, 100, 1)])


def test_owner_defaults_to_null_which_never_self_trades(runner: Runner) -> None:
    cmds = [
        buy(1, 100, 1),
        sell(2, 100, 1),
        buy(3, 100, 1, owner=None),
        sell(4, 100, 1, owner=None),
    ]
    check(runner, cmds, [*accs(1, 2), trade(2, 1, 100, 1), *accs(3, 4), trade(4, 3, 100, 1)])


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
