"""Invariants of the engine on random command streams (hypothesis).

* the book is never crossed at rest;
* quantity is conserved: every order's accepted qty (or replaced qty) is exactly what it
  traded, what was cancelled, and what still rests;
* a taker sweeps best price first and never beyond its limit;
* replay is deterministic, and snapshot + restore + the rest of the commands gives exactly
  the events and state of an uninterrupted run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bourse.matching import OrderBook, apply_command, crossed
from bourse.matching.snapshot import dumps, loads

from strategies import command_streams

Cmd = dict[str, Any]
SETTINGS = settings(max_examples=300, deadline=None)


def run(book: OrderBook, cmds: list[Cmd]) -> list[tuple[Any, ...]]:
    return [event for cmd in cmds for event in apply_command(book, cmd)]


@SETTINGS
@given(command_streams())
def test_book_never_crossed_at_rest(cmds: list[Cmd]) -> None:
    book = OrderBook()
    for cmd in cmds:
        apply_command(book, cmd)
        assert not crossed(book), cmd


@SETTINGS
@given(command_streams())
def test_quantity_is_conserved_per_order(cmds: list[Cmd]) -> None:
    book = OrderBook()
    open_qty: dict[int, int] = {}
    for event in run(book, cmds):
        kind = event[0]
        if kind == "accepted":
            new = next(c for c in cmds if c.get("op") == "new" and c.get("id") == event[1])
            open_qty[event[1]] = new["qty"]
        elif kind == "replaced":
            open_qty[event[1]] = event[3]
        elif kind == "trade":
            _, taker, maker, _price, qty = event
            assert qty > 0
            open_qty[taker] -= qty
            open_qty[maker] -= qty
        elif kind == "cancelled":
            assert event[3] == open_qty[event[1]] > 0, event
            open_qty[event[1]] = 0
    for oid, left in open_qty.items():
        live = book.get(oid)
        assert left >= 0
        assert left == (live["qty"] if live else 0), oid


def _limit_of(cmd: Mapping[str, Any]) -> tuple[str, int | None]:
    return cmd["side"], cmd.get("price") if cmd.get("type") == "limit" else None


@SETTINGS
@given(command_streams())
def test_takers_sweep_best_price_first_within_their_limit(cmds: list[Cmd]) -> None:
    book = OrderBook()
    for cmd in cmds:
        events = apply_command(book, cmd)
        if cmd.get("op") != "new" or not events or events[0][0] != "accepted":
            continue
        side, limit = _limit_of(cmd)
        prices = [e[3] for e in events if e[0] == "trade" and e[1] == cmd["id"]]
        ordered = sorted(prices) if side == "buy" else sorted(prices, reverse=True)
        assert prices == ordered
        if limit is not None and prices:
            assert (max(prices) <= limit) if side == "buy" else (min(prices) >= limit)


@SETTINGS
@given(command_streams())
def test_replay_is_deterministic(cmds: list[Cmd]) -> None:
    first, second = OrderBook(), OrderBook()
    assert run(first, cmds) == run(second, cmds)
    assert first.to_state() == second.to_state()


@SETTINGS
@given(command_streams(), st.data())
def test_snapshot_restore_then_replay_equals_uninterrupted_run(
    cmds: list[Cmd], data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(cmds)))
    whole = OrderBook()
    expected = run(whole, cmds)

    before = OrderBook()
    head = run(before, cmds[:split])
    restored = loads(dumps(before))
    assert restored.to_state() == before.to_state()
    tail = run(restored, cmds[split:])

    assert head + tail == expected
    assert restored.seq == whole.seq == len(expected)
    assert restored.to_state() == whole.to_state()
    assert restored.depth(50) == whole.depth(50)
