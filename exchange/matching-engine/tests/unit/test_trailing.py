"""Trailing stops (an extension of the replay contract): exact events, then invariants.

The rule tests run against the reference model and the engine (the ``runner`` fixture);
the property tests drive the engine with random streams that include trailing stops.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bourse.matching import OrderBook, apply_command
from bourse.matching.replay import run_commands
from bourse.matching.snapshot import dumps, loads

from model import Runner, strip_events
from strategies import command_streams

Cmd = dict[str, Any]
Ev = dict[str, Any]
SETTINGS = settings(max_examples=300, deadline=None)


def new(oid: int, side: str, otype: str, **fields: Any) -> Cmd:
    return {"op": "new", "id": oid, "side": side, "type": otype, **fields}


def limit(oid: int, side: str, price: int, qty: int = 1, **extra: Any) -> Cmd:
    return new(oid, side, "limit", price=price, qty=qty, **extra)


def trailing(oid: int, side: str, qty: int = 1, **trail: Any) -> Cmd:
    return new(oid, side, "trailing_stop", qty=qty, **trail)


def trade_at(first_id: int, price: int) -> list[Cmd]:
    """Two orders of different owners that trade 1 at ``price``."""
    return [limit(first_id, "sell", price, owner="m"), limit(first_id + 1, "buy", price, owner="t")]


def acc(oid: int) -> Ev:
    return {"type": "accepted", "id": oid}


def trade(taker: int, maker: int, price: int, qty: int = 1) -> Ev:
    return {"type": "trade", "taker": taker, "maker": maker, "price": price, "qty": qty}


def trailed(oid: int, stop_price: int, water_mark: int) -> Ev:
    return {"type": "trailed", "id": oid, "stop_price": stop_price, "water_mark": water_mark}


def run(runner: Runner, cmds: list[Cmd]) -> list[Ev]:
    return [
        {k: v for k, v in e.items() if k != "seq"}
        for e in strip_events(runner(copy.deepcopy(cmds)))
    ]


# -- rules ------------------------------------------------------------------------------------


def test_sell_trails_a_rising_price_and_fires_on_the_fall(runner: Runner) -> None:
    cmds = [
        *trade_at(1, 100),
        trailing(3, "sell", qty=2, trail=5),
        *trade_at(4, 104),  # up: mark 104, stop 99
        *trade_at(6, 103),  # down, not through 99: nothing
        *trade_at(8, 110),
        limit(10, "buy", 104, qty=5, owner="b"),  # liquidity for the stop to sell into
        *trade_at(11, 105),  # through the stop at 105: fires
    ]
    assert run(runner, cmds) == [
        acc(1), acc(2), trade(2, 1, 100),
        acc(3), trailed(3, 95, 100),
        acc(4), acc(5), trade(5, 4, 104), trailed(3, 99, 104),
        acc(6), acc(7), trade(7, 6, 103),
        acc(8), acc(9), trade(9, 8, 110), trailed(3, 105, 110),
        acc(10),
        acc(11), acc(12), trade(12, 11, 105),
        {"type": "triggered", "id": 3}, trade(3, 10, 104, 2),
    ]  # fmt: skip


def test_buy_trails_in_bps_rounded_towards_the_mark(runner: Runner) -> None:
    # 250 bps of 101 is 2.525 ticks: the distance rounds down, the stop is 103, not 104.
    cmds = [*trade_at(1, 101), trailing(3, "buy", trail_bps=250), *trade_at(4, 90)]
    assert run(runner, cmds)[3:] == [
        acc(3), trailed(3, 103, 101),
        acc(4), acc(5), trade(5, 4, 90), trailed(3, 92, 90),  # 2.25 -> 2 ticks
    ]  # fmt: skip


def test_unarmed_on_a_book_that_never_traded_first_trade_sets_the_mark(runner: Runner) -> None:
    cmds = [trailing(1, "sell", trail=1), *trade_at(2, 50), *trade_at(4, 49)]
    assert run(runner, cmds) == [
        acc(1),
        acc(2), acc(3), trade(3, 2, 50), trailed(1, 49, 50),
        acc(4), acc(5), trade(5, 4, 49), {"type": "triggered", "id": 1},
        {"type": "cancelled", "id": 1, "reason": "market_unfilled", "qty": 1},
    ]  # fmt: skip


def test_one_sweep_moves_the_mark_once_and_reports_once(runner: Runner) -> None:
    cmds = [
        *trade_at(1, 100),
        trailing(3, "sell", trail=1),
        limit(4, "sell", 101, owner="m"),
        limit(5, "sell", 102, owner="m"),
        limit(6, "sell", 103, owner="m"),
        new(7, "buy", "market", qty=3, owner="t"),
    ]
    assert run(runner, cmds)[-5:] == [
        acc(7),
        trade(7, 4, 101),
        trade(7, 5, 102),
        trade(7, 6, 103),
        trailed(3, 102, 103),
    ]


def test_fires_on_the_first_trade_through_it_inside_one_sweep(runner: Runner) -> None:
    # mark 100, stop 98; a sell sweeps 101 (new mark, stop 99), then 99: through, fires,
    # although the sweep goes on to 97 and the last price alone would also have fired it.
    cmds = [
        *trade_at(1, 100),
        trailing(3, "sell", trail=2),
        limit(4, "buy", 101, owner="m"),
        limit(5, "buy", 99, owner="m"),
        limit(6, "buy", 97, owner="m", qty=2),
        new(7, "sell", "market", qty=3, owner="t"),
    ]
    assert run(runner, cmds)[-6:] == [
        acc(7), trade(7, 4, 101), trade(7, 5, 99), trade(7, 6, 97),
        {"type": "triggered", "id": 3}, trade(3, 6, 97),
    ]  # fmt: skip


def test_a_stop_never_moves_back(runner: Runner) -> None:
    cmds = [*trade_at(1, 100), trailing(3, "buy", trail=3), *trade_at(4, 95), *trade_at(6, 97)]
    events = run(runner, cmds)
    assert [e for e in events if e["type"] == "trailed"] == [
        trailed(3, 103, 100),
        trailed(3, 98, 95),
    ]
    assert {"type": "triggered", "id": 3} not in events


@pytest.mark.parametrize(
    "trail",
    [
        {},
        {"trail": 1, "trail_bps": 10},
        {"trail": 0},
        {"trail": -2},
        {"trail": True},
        {"trail": 1.5},
        {"trail_bps": 0},
        {"trail_bps": 10_000},
        {"trail_bps": "50"},
    ],
)
def test_invalid_trail_rejected(runner: Runner, trail: Cmd) -> None:
    assert run(runner, [trailing(1, "sell", **trail)]) == [
        {"type": "rejected", "id": 1, "reason": "invalid_trail"}
    ]


def test_qty_checked_before_trail(runner: Runner) -> None:
    assert run(runner, [trailing(1, "sell", qty=0)]) == [
        {"type": "rejected", "id": 1, "reason": "invalid_qty"}
    ]


def test_other_types_ignore_trail_fields(runner: Runner) -> None:
    plain = [limit(1, "sell", 100), new(2, "buy", "stop", stop_price=100, qty=1)]
    with_trail = [dict(cmd, trail=0, trail_bps=5) for cmd in plain]
    assert run(runner, with_trail) == run(runner, plain) == [acc(1), acc(2)]


def test_cancel_replace_and_end_of_day(runner: Runner) -> None:
    cmds = [
        trailing(1, "sell", trail=1, qty=3),
        trailing(2, "buy", trail=1, tif="day"),
        {"op": "replace", "id": 1, "qty": 1},
        {"op": "cancel", "id": 1},
        {"op": "end_of_day"},
    ]
    assert run(runner, cmds) == [
        acc(1),
        acc(2),
        {"type": "rejected", "id": 1, "reason": "unknown_order"},
        {"type": "cancelled", "id": 1, "reason": "user", "qty": 3},
        {"type": "cancelled", "id": 2, "reason": "end_of_day", "qty": 1},
    ]


def test_budget_caps_what_a_fired_trailing_buy_spends(engine_runner: Runner) -> None:
    cmds = [
        *trade_at(1, 100),
        trailing(3, "buy", qty=5, trail=1, budget=250),  # 2 at 101 = 202; a 3rd is 303
        limit(4, "sell", 101, qty=5, owner="m"),
        *trade_at(5, 101),
    ]
    assert run(engine_runner, cmds)[-5:] == [
        acc(6),
        trade(6, 4, 101),
        {"type": "triggered", "id": 3},
        trade(3, 4, 101, 2),
        {"type": "cancelled", "id": 3, "reason": "budget_exhausted", "qty": 3},
    ]
    assert run(engine_runner, [trailing(1, "buy", trail=1, budget=0)]) == [
        {"type": "rejected", "id": 1, "reason": "invalid_budget"}
    ]


def test_trailing_state_is_queryable_and_survives_a_snapshot() -> None:
    book = OrderBook()
    for cmd in [*trade_at(1, 100), trailing(3, "sell", trail_bps=100), *trade_at(4, 120)]:
        apply_command(book, cmd)
    expected = {"stop_price": 119, "water_mark": 120, "trail": None, "trail_bps": 100}
    live = book.get(3)
    assert live is not None and {k: live[k] for k in expected} == expected
    assert live["type"] == "trailing_stop"
    restored = loads(dumps(book))
    assert restored.get(3) == live
    assert restored.stop_count == 1 and restored.resting_count == 0
    fired = apply_command(restored, limit(6, "sell", 119, owner="x"))
    fired += apply_command(restored, limit(7, "buy", 119, owner="y"))
    assert ("triggered", 3) in fired


# -- properties -------------------------------------------------------------------------------


def _trailing_cmds(cmds: list[Cmd]) -> dict[int, Cmd]:
    first: dict[int, Cmd] = {}
    for cmd in cmds:
        if cmd.get("op") == "new":
            first.setdefault(cmd["id"], cmd)
    return {oid: c for oid, c in first.items() if c["type"] == "trailing_stop"}


@SETTINGS
@given(command_streams())
def test_stop_and_mark_never_move_against_the_order(cmds: list[Cmd]) -> None:
    orders = _trailing_cmds(cmds)
    last: dict[int, tuple[int, int]] = {}
    for event in run_commands(copy.deepcopy(cmds)):
        if event["type"] != "trailed":
            continue
        oid, stop, mark = event["id"], event["stop_price"], event["water_mark"]
        sign = 1 if orders[oid]["side"] == "sell" else -1
        if oid in last:
            old_stop, old_mark = last[oid]
            assert sign * mark > sign * old_mark, event  # reported only when it moved
            assert sign * stop >= sign * old_stop, event
        last[oid] = (stop, mark)


def _distance(cmd: Cmd, mark: int) -> int:
    distance: int = cmd["trail"] if "trail" in cmd else mark * cmd["trail_bps"] // 10_000
    return distance


@SETTINGS
@given(command_streams())
def test_fires_in_the_command_of_the_first_trade_through_it(cmds: list[Cmd]) -> None:
    """Walk the trades naively: mark, stop, first trade through; compare with the engine."""
    orders = _trailing_cmds(cmds)
    book = OrderBook()
    state: dict[int, int | None] = {}  # live trailing order -> mark
    due: set[int] = set()  # went through their stop in the current command
    for cmd in cmds:
        for event in apply_command(book, cmd):
            kind, oid = event[0], event[1]
            if kind == "accepted" and oid in orders and oid not in state:
                state[oid] = book.last_price if book.trade_count else None
            elif kind == "trade":
                price = event[3]
                for tid, mark in list(state.items()):
                    if tid in due:
                        continue
                    side = 1 if orders[tid]["side"] == "sell" else -1
                    if mark is not None:
                        stop = mark - side * _distance(orders[tid], mark)
                        if side * price <= side * stop:
                            due.add(tid)
                            continue
                    if mark is None or side * price > side * mark:
                        state[tid] = price
            elif kind == "triggered" and oid in state:
                assert oid in due, (oid, event)
                del state[oid]
                due.discard(oid)
            elif kind == "cancelled" and oid in state:
                assert oid not in due
                del state[oid]
        assert not due, f"went through their stop but did not fire: {due}"


@SETTINGS
@given(command_streams(), st.data())
def test_snapshot_then_replay_equals_straight_replay(cmds: list[Cmd], data: st.DataObject) -> None:
    split = data.draw(st.integers(0, len(cmds)))
    whole = OrderBook()
    expected = [e for cmd in cmds for e in apply_command(whole, cmd)]
    head_book = OrderBook()
    head = [e for cmd in cmds[:split] for e in apply_command(head_book, cmd)]
    restored = loads(dumps(head_book))
    tail = [e for cmd in cmds[split:] for e in apply_command(restored, cmd)]
    assert head + tail == expected
    assert restored.to_state() == whole.to_state()
    for oid in _trailing_cmds(cmds):
        assert restored.get(oid) == whole.get(oid)


@SETTINGS
@given(command_streams())
def test_replay_is_deterministic_with_trailing_stops(cmds: list[Cmd]) -> None:
    assert run_commands(copy.deepcopy(cmds)) == run_commands(copy.deepcopy(cmds))
