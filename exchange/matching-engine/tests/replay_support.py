"""The replay contract's rule tests in few words: command builders (``buy``, ``stop``,
``cancel``, ...), expected events (``acc``, ``trade``, ``cxl``, ...) and ``check``, which
runs commands on a runner (the reference model or the engine) and compares the events on
contract fields only ("seq", "type" and the type's own fields), seq numbered from 1."""

from __future__ import annotations

import copy
from typing import Any

from model import Runner, strip_events

Cmd = dict[str, Any]
Ev = dict[str, Any]

MISSING: Any = object()  # a field left out of the command entirely


# -- command builders ---------------------------------------------------------------------


def new_order(oid: int, side: str, otype: str, **fields: Any) -> Cmd:
    cmd: Cmd = {"op": "new", "id": oid, "side": side, "type": otype}
    cmd.update({k: v for k, v in fields.items() if v is not MISSING})
    return cmd


def buy(oid: int, price: Any, qty: Any, **extra: Any) -> Cmd:
    return new_order(oid, "buy", "limit", price=price, qty=qty, **extra)


def sell(oid: int, price: Any, qty: Any, **extra: Any) -> Cmd:
    return new_order(oid, "sell", "limit", price=price, qty=qty, **extra)


def market(oid: int, side: str, qty: Any, **extra: Any) -> Cmd:
    return new_order(oid, side, "market", qty=qty, **extra)


def stop(oid: int, side: str, stop_price: Any, qty: Any, **extra: Any) -> Cmd:
    return new_order(oid, side, "stop", stop_price=stop_price, qty=qty, **extra)


def stop_limit(oid: int, side: str, stop_price: Any, price: Any, qty: Any, **extra: Any) -> Cmd:
    return new_order(oid, side, "stop_limit", stop_price=stop_price, price=price, qty=qty, **extra)


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
