"""Differential tests: the engine must emit exactly the reference model's events.

* ``test_engine_agrees_with_reference`` drives both with random command streams.
* ``test_event_stream_invariants`` checks bookkeeping both must satisfy on those streams
  (it also guards the reference itself).
* ``test_cli_replay_end_to_end`` runs ``python -m bourse.matching replay`` as a subprocess.

Nothing here is skipped: against a stub engine (NotImplementedError, no CLI) these fail.
Use ``-k model`` to run only the reference side of the parametrized tests.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

from hypothesis import HealthCheck, given, note, settings

from model import CONTRACT_FIELDS, Runner, strip_events
from model import run_commands as model_run
from strategies import command_streams

Cmd = dict[str, Any]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cmds=command_streams())
def test_engine_agrees_with_reference(engine_runner: Runner, cmds: list[Cmd]) -> None:
    expected = strip_events(model_run(copy.deepcopy(cmds)))
    note(f"reference events: {expected}")
    actual = strip_events(engine_runner(copy.deepcopy(cmds)))
    assert actual == expected


# -- invariants of any correct event stream ---------------------------------------------------


def check_invariants(cmds: list[Cmd], events: list[dict[str, Any]]) -> None:
    """Bookkeeping every stream must satisfy, derived from the commands alone."""
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    for event in events:
        assert event["type"] in CONTRACT_FIELDS, event
        for field in CONTRACT_FIELDS[event["type"]]:
            assert field in event, event

    first_new: dict[int, Cmd] = {}
    for cmd in cmds:
        if cmd["op"] == "new":
            first_new.setdefault(cmd["id"], cmd)

    open_qty: dict[int, int] = {}  # accepted and not yet finished
    pending_stops: set[int] = set()
    accepted: set[int] = set()
    for event in events:
        kind = event["type"]
        if kind == "accepted":
            oid = event["id"]
            assert oid not in accepted, f"accepted twice: {event}"
            accepted.add(oid)
            open_qty[oid] = first_new[oid]["qty"]
            if first_new[oid]["type"] in ("stop", "stop_limit", "trailing_stop"):
                pending_stops.add(oid)
        elif kind == "trailed":
            assert event["id"] in pending_stops, event
            assert first_new[event["id"]]["type"] == "trailing_stop", event
        elif kind == "triggered":
            assert event["id"] in pending_stops, event
            pending_stops.discard(event["id"])
        elif kind == "trade":
            taker, maker, qty = event["taker"], event["maker"], event["qty"]
            assert taker != maker
            assert first_new[taker]["side"] != first_new[maker]["side"], event
            assert taker not in pending_stops and maker not in pending_stops, event
            assert qty > 0
            assert open_qty[taker] >= qty and open_qty[maker] >= qty, event
            open_qty[taker] -= qty
            open_qty[maker] -= qty
            for oid in (taker, maker):
                if open_qty[oid] == 0:
                    del open_qty[oid]
        elif kind == "cancelled":
            oid = event["id"]
            assert event["qty"] > 0, event
            assert open_qty.get(oid) == event["qty"], event
            del open_qty[oid]
            pending_stops.discard(oid)
        elif kind == "replaced":
            oid = event["id"]
            assert oid in open_qty and oid not in pending_stops, event
            assert event["qty"] > 0 and event["price"] > 0, event
            open_qty[oid] = event["qty"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cmds=command_streams())
def test_event_stream_invariants(runner: Runner, cmds: list[Cmd]) -> None:
    check_invariants(cmds, runner(copy.deepcopy(cmds)))


# -- the CLI ----------------------------------------------------------------------------------

CLI_SCENARIO: list[Cmd] = [
    {"op": "new", "id": 1, "side": "sell", "type": "limit", "price": 100, "qty": 2, "owner": "a"},
    {"op": "new", "id": 2, "side": "sell", "type": "limit", "price": 101, "qty": 3, "tif": "day"},
    {"op": "new", "id": 3, "side": "buy", "type": "stop", "stop_price": 100, "qty": 2},
    {"op": "new", "id": 4, "side": "buy", "type": "limit", "price": 100, "qty": 1, "owner": "b"},
    {"op": "new", "id": 4, "side": "buy", "type": "limit", "price": 100, "qty": 1},
    {"op": "new", "id": 5, "side": "buy", "type": "limit", "price": 0, "qty": 1},
    {"op": "new", "id": 6, "side": "buy", "type": "limit", "price": 99, "qty": 4, "owner": "a"},
    {"op": "new", "id": 10, "side": "sell", "type": "limit", "price": 100, "qty": 1, "owner": "a"},
    {"op": "replace", "id": 6, "price": 101, "qty": 3},
    {
        "op": "new",
        "id": 7,
        "side": "sell",
        "type": "limit",
        "price": 99,
        "qty": 1,
        "post_only": True,
    },
    {"op": "new", "id": 8, "side": "sell", "type": "market", "qty": 9, "owner": None},
    {"op": "new", "id": 9, "side": "buy", "type": "limit", "price": 98, "qty": 2, "tif": "day"},
    {"op": "new", "id": 11, "side": "sell", "type": "trailing_stop", "trail": 1, "qty": 1},
    {"op": "cancel", "id": 42},
    {"op": "end_of_day"},
]


def test_cli_replay_end_to_end() -> None:
    stdin = "".join(json.dumps(cmd) + "\n" for cmd in CLI_SCENARIO)
    proc = subprocess.run(
        [sys.executable, "-m", "bourse.matching", "replay"],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    expected = model_run(copy.deepcopy(CLI_SCENARIO))
    assert {e["type"] for e in expected} == set(CONTRACT_FIELDS)  # the scenario covers them all
    assert strip_events(events) == strip_events(expected)
