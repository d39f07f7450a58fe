"""Replay contract: seq numbering and rule 1, validation (what is accepted, what is
rejected and why, in which order the checks run)."""

from __future__ import annotations

from typing import Any

import pytest

from model import Runner, strip_event
from replay_support import (
    MISSING,
    acc,
    accs,
    buy,
    cancel,
    check,
    cxl,
    eod,
    market,
    new_order,
    rej,
    replace,
    run,
    sell,
    stop,
    stop_limit,
    trade,
)

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
    cmd = new_order(1, "sell", otype, price=100, stop_price=100, qty=0)
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
