"""Prices (PriceChanged) a batch at a time (ARCHITECTURE §4a), with the effects that
applying them one at a time has:

1. each symbol's stored price row is locked once (the first price of a symbol is stored
   as it comes), and the batch's prices are applied to it in message order in memory: a
   price older than the one held changes nothing, and each other makes a move from the
   price before it (a crossing compares two consecutive prices);
2. the active alerts that any move of the batch can fire or expire are locked once, in
   id order, and evaluated move by move: first the alerts of the symbol whose time is
   up expire, then those the move satisfies fire, in id order (:func:`fires` decides;
   the database only narrows by the moves' price range);
3. one write per table, and the events in the order they fired.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg

from bourse.auto.domain.alerts import fires
from bourse.auto.domain.ids import alert_client_order_id
from bourse.auto.domain.orders import OrderSpec
from bourse.common.db import unnest_columns
from bourse.contracts.events import AlertTriggered, OrderRequested, PriceChanged
from bourse.messaging.uow import Event, UnitOfWork

Prices = Sequence[Event[PriceChanged]]
# The first price of a symbol: stored as it is (there is nothing to compare it with).
_STORE_FIRST = """
INSERT INTO prices (symbol, price, ts)
SELECT * FROM unnest($1::text[], $2::numeric[], $3::timestamptz[])
ON CONFLICT DO NOTHING
RETURNING symbol
"""
_LOCK_PRICES = """
SELECT symbol, price, ts FROM prices WHERE symbol = ANY($1::text[]) ORDER BY symbol FOR UPDATE
"""
_SAVE_PRICES = """
UPDATE prices p SET price = n.price, ts = n.ts, updated_at = now()
FROM unnest($1::text[], $2::numeric[], $3::timestamptz[]) AS n(symbol, price, ts)
WHERE p.symbol = n.symbol
"""
# What the moves of each symbol can reach: levels inside their range, and whatever
# expires by their last time.
_LOCK_REACHABLE = """
SELECT a.id, a.user_id, a.symbol, a.condition, a.price, a.action, a."order"::text AS "order",
       a.expires_at
FROM alerts a
JOIN unnest($1::text[], $2::numeric[], $3::numeric[], $4::timestamptz[])
    AS m(symbol, low, high, last_ts) ON a.symbol = m.symbol
WHERE a.status = 'active' AND (
    a.expires_at <= m.last_ts
    OR (a.condition = 'above' AND a.price <= m.high)
    OR (a.condition = 'below' AND a.price >= m.low)
    OR (a.condition IN ('crosses_above', 'crosses_below') AND a.price BETWEEN m.low AND m.high)
)
ORDER BY a.id
FOR UPDATE OF a
"""
_EXPIRE = "UPDATE alerts SET status = 'expired', updated_at = now() WHERE id = ANY($1::uuid[])"
_TRIGGER = """
UPDATE alerts a SET status = 'triggered', triggered_at = t.ts, triggered_price = t.price,
    client_order_id = t.cid, updated_at = now()
FROM unnest($1::uuid[], $2::timestamptz[], $3::numeric[], $4::text[]) AS t(id, ts, price, cid)
WHERE a.id = t.id
"""


@dataclass(frozen=True, slots=True)
class Move:
    event: Event[PriceChanged]
    previous: Decimal | None  # None: the first price of the symbol

    @property
    def price(self) -> PriceChanged:
        return self.event.payload


@dataclass(frozen=True, slots=True)
class Fired:
    alert: Any
    move: Move
    client_order_id: str | None


async def on_prices(uow: UnitOfWork, events: Prices) -> None:
    pg = await uow.pg()
    moves, now_held = await _moves(pg, events)
    if not moves:
        return
    await pg.execute(_SAVE_PRICES, *unnest_columns(now_held))
    alerts = await pg.fetch(_LOCK_REACHABLE, *unnest_columns(_reach(moves)))
    expired, fired = evaluate(moves, alerts)
    if expired:
        await pg.execute(_EXPIRE, expired)
    if fired:
        await pg.execute(_TRIGGER, *unnest_columns([_trigger_row(one) for one in fired]))
    for one in fired:
        uow.stage(*_announced(one), cause=one.move.event)


async def _moves(
    pg: asyncpg.Connection, events: Prices
) -> tuple[list[Move], list[tuple[str, Decimal, datetime]]]:
    """The batch's moves in message order, and each moved symbol's price and time after
    them (in symbol order)."""
    firsts: dict[str, Event[PriceChanged]] = {}
    for event in events:
        firsts.setdefault(event.payload.symbol, event)
    symbols = sorted(firsts)
    first_rows = [(s, firsts[s].payload.price, firsts[s].payload.ts) for s in symbols]
    stored = await pg.fetch(_STORE_FIRST, *unnest_columns(first_rows))
    stored_first = {row["symbol"] for row in stored}
    locked = await pg.fetch(_LOCK_PRICES, symbols)
    held = {r["symbol"]: (r["price"], r["ts"]) for r in locked if r["symbol"] not in stored_first}
    moves = []
    for event in events:
        price = event.payload
        if price.symbol in stored_first and firsts[price.symbol] is event:
            moves.append(Move(event, None))
        elif price.ts < held[price.symbol][1]:
            continue  # older than the price held: out of order, changes nothing
        else:
            moves.append(Move(event, held[price.symbol][0]))
        held[price.symbol] = (price.price, price.ts)
    moved = sorted({move.price.symbol for move in moves})
    return moves, [(symbol, *held[symbol]) for symbol in moved]


def _reach(moves: Iterable[Move]) -> list[tuple[str, Decimal, Decimal, datetime]]:
    """Per symbol: the lowest and highest price its moves pass, and their last time."""
    reach: dict[str, tuple[Decimal, Decimal, datetime]] = {}
    for move in moves:
        price = move.price
        ends = (price.price, price.price if move.previous is None else move.previous)
        low, high, last = reach.get(price.symbol, (min(ends), max(ends), price.ts))
        reach[price.symbol] = (min(low, *ends), max(high, *ends), max(last, price.ts))
    return [(symbol, *bounds) for symbol, bounds in sorted(reach.items())]


def evaluate(moves: Sequence[Move], alerts: Sequence[Any]) -> tuple[list[UUID], list[Fired]]:
    """The alerts that expire and those that fire (in firing order), move by move."""
    by_symbol: dict[str, list[Any]] = {}
    for alert in alerts:  # in id order
        by_symbol.setdefault(alert["symbol"], []).append(alert)
    expired: list[UUID] = []
    fired: list[Fired] = []
    done: set[UUID] = set()
    for move in moves:
        price = move.price
        active = [a for a in by_symbol.get(price.symbol, ()) if a["id"] not in done]
        for alert in active:
            if alert["expires_at"] is not None and alert["expires_at"] <= price.ts:
                expired.append(alert["id"])
                done.add(alert["id"])
        for alert in active:
            if alert["id"] in done:
                continue
            if fires(alert["condition"], alert["price"], move.previous, price.price):
                cid = alert_client_order_id(alert["id"]) if alert["order"] else None
                fired.append(Fired(alert, move, cid))
                done.add(alert["id"])
    return expired, fired


def _trigger_row(fired: Fired) -> tuple[UUID, datetime, Decimal, str | None]:
    price = fired.move.price
    return fired.alert["id"], price.ts, price.price, fired.client_order_id


def _announced(fired: Fired) -> list[AlertTriggered | OrderRequested]:
    alert, price = fired.alert, fired.move.price
    triggered = AlertTriggered(
        symbol=alert["symbol"],
        alert_id=alert["id"],
        user_id=alert["user_id"],
        condition=alert["condition"],
        price=alert["price"],
        last_price=price.price,
        action=alert["action"],
        client_order_id=fired.client_order_id,
    )
    if fired.client_order_id is None:  # an alert that only notifies
        return [triggered]
    order = OrderSpec.stored(json.loads(alert["order"]))
    return [triggered, _order_request(alert, order, fired.client_order_id)]


def _order_request(alert: Any, order: OrderSpec, cid: str) -> OrderRequested:
    return OrderRequested(
        user_id=alert["user_id"],
        client_order_id=cid,
        symbol=alert["symbol"],
        side=order.side,
        type=order.type,
        time_in_force=order.time_in_force,
        qty=order.qty,
        notional=order.notional,
        limit_price=order.limit_price,
    )
