"""The hot path's SQL of order-service (the consumer's batches), on asyncpg inside the
consumer's transaction: one statement per table for a whole batch. The requests and the
colder paths use SQLAlchemy Core (handlers/). The trade updates' SQL: :mod:`.trade_updates`."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from bourse.common.db import unnest_columns
from bourse.contracts.ids import uuid7
from bourse.order.domain.instrument import Instrument
from bourse.order.domain.placement import OrderRequest, Placement

# What the consumer may change on an order row.
STATE_COLUMNS = (
    ("id", "uuid"),
    ("status", "text"),
    ("filled_qty", "numeric"),
    ("filled_notional", "numeric"),
    ("reject_reason", "text"),
    ("updated_at", "timestamptz"),
    ("filled_at", "timestamptz"),
    ("canceled_at", "timestamptz"),
    ("exchange_epoch", "uuid"),
    ("sent_to_exchange", "bool"),
    ("stop_price", "numeric"),  # a trailing stop's, as the engine moves it
    ("hwm", "numeric"),
)

# What order-service keeps of an instrument, besides its symbol (domain.instrument).
_INSTRUMENT_COLUMNS = (
    "tick_size", "lot_size", "status", "last_price", "maker_fee_bps", "taker_fee_bps",
)  # fmt: skip
_INSTRUMENTS = (
    f"SELECT symbol, {', '.join(_INSTRUMENT_COLUMNS)} FROM instruments"
    " WHERE symbol = ANY($1::text[])"
)
# The orders locked (only them: FOR UPDATE OF o) with their instrument, in one round trip.
_INSTRUMENT_PREFIX = "instrument_"
_LOCK_WITH_INSTRUMENT = (
    "SELECT o.*, "
    + ", ".join(f"i.{name} AS {_INSTRUMENT_PREFIX}{name}" for name in _INSTRUMENT_COLUMNS)
    + " FROM orders o LEFT JOIN instruments i ON i.symbol = o.symbol"
    " WHERE o.{key} = ANY($1::{kind}[]) ORDER BY o.id FOR UPDATE OF o"
)
_LOCK_BY_ID = _LOCK_WITH_INSTRUMENT.format(key="id", kind="uuid")
_LOCK_BY_ENGINE_ID = _LOCK_WITH_INSTRUMENT.format(key="engine_id", kind="bigint")
_CURRENT_EPOCHS = "SELECT shard, epoch FROM exchange_epochs WHERE retired_at IS NULL"


def _save_orders_sql(first: int) -> str:
    """The UPDATE of the consumer-owned columns from arrays numbered from ``$first``."""
    arrays = ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(STATE_COLUMNS, start=first))
    return (
        "UPDATE orders o SET "
        + ", ".join(f"{name} = u.{name}" for name, _ in STATE_COLUMNS[1:])
        + f" FROM unnest({arrays}) AS u("
        + ", ".join(name for name, _ in STATE_COLUMNS)
        + ") WHERE o.id = u.id"
    )


_SAVE_ORDERS = _save_orders_sql(1)
_ADD_FILLS = """
INSERT INTO fills (id, order_id, user_id, symbol, side, qty, price, liquidity, trade_id,
                   created_at, fee)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                     $6::numeric[], $7::numeric[], $8::text[], $9::text[], $10::timestamptz[],
                     $11::numeric[])
ON CONFLICT DO NOTHING
"""
# fills and the orders they changed, in one round trip (the fills' parameters first)
_ADD_FILLS_SAVE_ORDERS = f"WITH added_fills AS ({_ADD_FILLS}) {_save_orders_sql(12)}"


Locked = tuple[list[dict[str, Any]], dict[str, Instrument]]  # the orders, their instruments


async def lock_orders(pg: asyncpg.Connection, ids: Iterable[UUID]) -> Locked:
    """The orders with these ids, locked in id order (the order every writer locks in),
    and the instruments they trade."""
    return _with_instruments(await pg.fetch(_LOCK_BY_ID, sorted(ids)))


async def lock_orders_by_engine_id(pg: asyncpg.Connection, engine_ids: Iterable[int]) -> Locked:
    """The orders with these engine ids, locked in id order, and their instruments."""
    return _with_instruments(await pg.fetch(_LOCK_BY_ENGINE_ID, sorted(engine_ids)))


def _with_instruments(rows: Iterable[Mapping[str, Any]]) -> Locked:
    orders, known = [], {}
    for row in rows:
        if row[f"{_INSTRUMENT_PREFIX}status"] is not None:  # never NULL in a stored one
            known[row["symbol"]] = instrument_of(row, _INSTRUMENT_PREFIX)
        order = dict(row)
        for name in _INSTRUMENT_COLUMNS:
            del order[f"{_INSTRUMENT_PREFIX}{name}"]
        orders.append(order)
    return orders, known


async def instruments(pg: asyncpg.Connection, symbols: Iterable[str]) -> dict[str, Instrument]:
    rows = await pg.fetch(_INSTRUMENTS, sorted(set(symbols)))
    return {row["symbol"]: instrument_of(row) for row in rows}


def instrument_of(row: Mapping[Any, Any], prefix: str = "") -> Instrument:
    """An instrument from its row (an asyncpg Record, or a SQLAlchemy row's mapping); its
    columns named with ``prefix`` (a row of an order joined with its instrument)."""
    return Instrument(row["symbol"], *(row[prefix + name] for name in _INSTRUMENT_COLUMNS))


async def current_epochs(pg: asyncpg.Connection) -> set[tuple[int, UUID]]:
    """(shard, journal) of every journal not retired."""
    return {(row["shard"], row["epoch"]) for row in await pg.fetch(_CURRENT_EPOCHS)}


async def save_orders(pg: asyncpg.Connection, changed: Sequence[Mapping[str, Any]]) -> None:
    """Write the consumer-owned columns of ``changed`` orders, with one statement."""
    if changed:
        await pg.execute(_SAVE_ORDERS, *_state_columns(changed))


async def add_fills(pg: asyncpg.Connection, fills: Sequence[tuple[Any, ...]]) -> None:
    """Record fills (rows in executions.FILL_COLUMNS order); a known one is left as is."""
    if fills:
        await pg.execute(_ADD_FILLS, *unnest_columns(fills))


async def add_fills_save_orders(
    pg: asyncpg.Connection,
    fills: Sequence[tuple[Any, ...]],
    changed: Sequence[Mapping[str, Any]],
) -> None:
    """:func:`add_fills` and :func:`save_orders` with one statement."""
    if not (fills and changed):
        await add_fills(pg, fills)
        await save_orders(pg, changed)
        return
    await pg.execute(_ADD_FILLS_SAVE_ORDERS, *unnest_columns(fills), *_state_columns(changed))


def _state_columns(changed: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    return [[order[name] for order in changed] for name, _ in STATE_COLUMNS]


_BY_CLIENT_ID = """
SELECT o.* FROM orders o JOIN unnest($1::uuid[], $2::text[]) AS k(user_id, cid)
  ON o.user_id = k.user_id AND o.client_order_id = k.cid
"""
_ADD_ORDERS = """
INSERT INTO orders (id, user_id, client_order_id, symbol, side, type, time_in_force, qty,
                    notional, limit_price, stop_price, trail_price, trail_percent, reserve_cash,
                    reserve_qty, status, engine_id)
SELECT u.*, 'pending_new', nextval('engine_id_seq')
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[],
            $12::numeric[], $13::numeric[], $14::numeric[], $15::numeric[]) AS u
ON CONFLICT (user_id, client_order_id) DO NOTHING
RETURNING *
"""
NewRow = tuple[UUID, OrderRequest, str | None, Placement]  # user, request, client id, holds


async def orders_by_client_id(
    pg: asyncpg.Connection, keys: Sequence[tuple[UUID, str]]
) -> dict[tuple[UUID, str], dict[str, Any]]:
    if not keys:
        return {}
    rows = await pg.fetch(_BY_CLIENT_ID, [k[0] for k in keys], [k[1] for k in keys])
    return {(row["user_id"], row["client_order_id"]): dict(row) for row in rows}


async def add_orders(pg: asyncpg.Connection, new: Sequence[NewRow]) -> list[dict[str, Any] | None]:
    """Insert new orders (pending_new, engine ids from the sequence) with one statement;
    their rows, in the same order, None for one whose client order id an order of its user
    already has (that order is left as it is)."""
    if not new:
        return []
    ids = [uuid7() for _ in new]
    columns = [
        ids,
        [user for user, *_ in new],
        [cid for _, _, cid, _ in new],
        *([getattr(r, name) for _, r, _, _ in new] for name in _REQUEST_FIELDS),
        [p.reserve_cash for *_, p in new],
        [p.reserve_qty for *_, p in new],
    ]
    rows = {row["id"]: dict(row) for row in await pg.fetch(_ADD_ORDERS, *columns)}
    return [rows.get(order_id) for order_id in ids]


_REQUEST_FIELDS = (
    "symbol", "side", "type", "time_in_force", "qty", "notional", "limit_price", "stop_price",
    "trail_price", "trail_percent",
)  # fmt: skip
