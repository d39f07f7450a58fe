"""Hypothesis strategies shared by the differential and property tests: random contract
command streams over a narrow price band, so orders cross, self-trade and stops fire."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

Cmd = dict[str, Any]

MISSING: Any = object()  # leave the field out of the command

OWNERS: list[str | None] = [None, "alice", "bob"]
PRICES = st.integers(98, 102)
BAD_NUMBERS: list[Any] = [0, -1, True, None, 1.5, "100"]  # never a positive integer


def _maybe_bad(draw: st.DrawFn, good: st.SearchStrategy[Any], bad: list[Any]) -> Any:
    """Mostly a value from ``good``; now and then a bad value or a missing field.

    Good values come first so that shrinking heads towards valid commands.
    """
    roll = draw(st.integers(0, 49))
    if roll == 49:
        return MISSING
    if roll == 48:
        return draw(st.sampled_from(bad))
    return draw(good)


def _put(cmd: Cmd, key: str, value: Any) -> None:
    if value is not MISSING:
        cmd[key] = value


# A command is drawn first as a "proto" command whose id is symbolic: "_ref" picks an
# id presented earlier (0 = the most recent) or, when large, one never presented. The ids
# are filled in by `_assign_ids` over the whole list, so hypothesis can shrink the list by
# simply dropping elements.
REF_FRESH = 15  # for cancel/replace: this "_ref" (or an empty history) means an unused id
DUP_FROM = 38  # for new: "_ref" >= this means reuse an earlier id (a duplicate)


@st.composite
def proto_commands(draw: st.DrawFn) -> Cmd:
    op = draw(st.sampled_from(["new"] * 9 + ["cancel"] * 2 + ["replace"] * 2 + ["end_of_day"]))
    if op == "end_of_day":
        return {"op": "end_of_day"}
    if op == "cancel":
        return {"op": "cancel", "_ref": draw(st.integers(0, REF_FRESH))}
    if op == "replace":
        cmd: Cmd = {"op": "replace", "_ref": draw(st.integers(0, REF_FRESH))}
        if draw(st.booleans()):
            _put(cmd, "price", _maybe_bad(draw, PRICES, [0, -3, True]))
        if draw(st.booleans()):
            _put(cmd, "qty", _maybe_bad(draw, st.integers(1, 6), [0, -1, True]))
        return cmd

    otype = draw(st.sampled_from(["limit"] * 4 + ["market", "stop", "stop_limit", "trailing_stop"]))
    side = draw(st.sampled_from(["buy", "sell"]))
    cmd = {"op": "new", "_ref": draw(st.integers(0, DUP_FROM + 2)), "side": side, "type": otype}
    _put(cmd, "qty", _maybe_bad(draw, st.integers(1, 5), BAD_NUMBERS))
    if otype in ("limit", "stop_limit"):
        _put(cmd, "price", _maybe_bad(draw, PRICES, BAD_NUMBERS))
    elif draw(st.integers(0, 9)) == 9:
        cmd["price"] = draw(st.sampled_from([100, *BAD_NUMBERS]))  # to be ignored
    if otype in ("stop", "stop_limit"):
        _put(cmd, "stop_price", _maybe_bad(draw, PRICES, BAD_NUMBERS))
    elif draw(st.integers(0, 9)) == 9:
        cmd["stop_price"] = draw(st.sampled_from([100, *BAD_NUMBERS]))  # to be ignored
    if otype == "trailing_stop":
        _put_trail(draw, cmd)
    _put(cmd, "tif", draw(st.sampled_from([MISSING, "gtc", "gtc", "day", "day", "ioc", "fok"])))
    _put(cmd, "owner", draw(st.sampled_from([MISSING, *OWNERS])))
    _put(cmd, "post_only", draw(st.sampled_from([MISSING, MISSING, False, True])))
    return cmd


def _put_trail(draw: st.DrawFn, cmd: Cmd) -> None:
    """Mostly exactly one of trail (ticks) / trail_bps; now and then both, neither or bad."""
    roll = draw(st.integers(0, 19))
    if roll < 9:
        cmd["trail"] = draw(st.integers(1, 3))
    elif roll < 18:
        cmd["trail_bps"] = draw(st.sampled_from([1, 50, 100, 250, 9999]))
    elif roll == 18:
        cmd["trail"], cmd["trail_bps"] = 1, 100
    elif draw(st.booleans()):
        cmd["trail"] = draw(st.sampled_from(BAD_NUMBERS))
    else:
        cmd["trail_bps"] = draw(st.sampled_from([0, True, 10_000]))


def _assign_ids(protos: list[Cmd]) -> list[Cmd]:
    used: list[int] = []  # ids presented by earlier "new" commands, in order
    next_id = 1
    cmds: list[Cmd] = []
    for proto in protos:
        cmd = {k: v for k, v in proto.items() if k != "_ref"}
        if "_ref" in proto:
            ref: int = proto["_ref"]
            if cmd["op"] == "new":
                if ref >= DUP_FROM and used:
                    cmd["id"] = used[-1 - (ref - DUP_FROM) % len(used)]
                else:
                    cmd["id"] = next_id
                    next_id += 1
                used.append(cmd["id"])
            elif ref == REF_FRESH or not used:
                cmd["id"] = next_id  # not presented yet (it may be later)
            else:
                cmd["id"] = used[-1 - ref % len(used)]
        cmds.append(cmd)
    return cmds


def command_streams() -> st.SearchStrategy[list[Cmd]]:
    """Random command streams over a narrow price band, so orders cross and stops fire."""
    # A list of short runs (at most 96 commands): a plain list averages only ~5 elements.
    runs = st.lists(st.lists(proto_commands(), min_size=1, max_size=12), max_size=10)
    return runs.map(lambda rs: _assign_ids([proto for run in rs for proto in run]))
