"""The HTTP use cases of order-service, scoped to the caller: each write runs in one
transaction and stages its events; reads run outside any."""

import uuid
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem, not_found
from bourse.common.idempotency import Idempotency, StoredResponse, once
from bourse.contracts.orders import OPEN_STATUSES
from bourse.order.config import Settings
from bourse.order.db import orders
from bourse.order.domain.placement import OrderRequest
from bourse.order.handlers.legs import cancel_related
from bourse.order.handlers.orders import Row, create_order, request_cancel, select_by_client_id

Placed = tuple[Row, bool]
Shown = Literal["open", "closed", "all"]  # which of the caller's orders a list shows


async def place_order(
    db: Database,
    settings: Settings,
    user_id: uuid.UUID,
    request: OrderRequest,
    client_order_id: str | None,
    idempotency: Idempotency[Placed] | None = None,
) -> Placed | StoredResponse:
    """(the order, True if created now), or the stored first answer of a repeated
    Idempotency-Key. A known client_order_id returns its order."""

    async def create(session: AsyncSession) -> Placed:
        return await create_order(session, settings, user_id, request, client_order_id)

    try:
        return await db.run(lambda session: once(session, user_id, idempotency, create))
    except IntegrityError:  # the same client_order_id raced in: the other one won
        existing = await _by_client_id(db, user_id, client_order_id)
        if existing is None:
            raise
        return existing, False


async def get_order(db: Database, user_id: uuid.UUID, order_id: uuid.UUID) -> Row:
    """The caller's order (another user's is a 404, like a missing one)."""
    row = await db.fetchrow(_BY_ID, order_id, user_id)
    if row is None:
        raise not_found("order")
    return SimpleNamespace(**row)


_BY_ID = "SELECT * FROM orders WHERE id = $1 AND user_id = $2"


async def list_orders(
    db: Database,
    user_id: uuid.UUID,
    shown: Shown,
    symbol: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[Row]:
    """Up to ``limit`` of the caller's orders, newest first: those ``shown``, of ``symbol``
    if given, older than the order ``after`` if given."""
    query, args = _page_query(shown, symbol, after)
    async with db.connection() as pg:
        rows = await pg.fetch(query, user_id, limit, *args)
    return [SimpleNamespace(**row) for row in rows]


async def legs_of(db: Database, parents: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Row]]:
    """The legs of these orders, oldest first."""
    async with db.connection() as pg:
        rows = await pg.fetch(_LEGS, list(parents))
    found: dict[uuid.UUID, list[Row]] = {}
    for row in rows:
        found.setdefault(row["parent_id"], []).append(SimpleNamespace(**row))
    return found


# What an order's answer reads of it (bourse.order.api.routes.to_order), 25 columns of
# 43: decoding all of them cost a page of 51 orders 15% more CPU.
_COLUMNS = (
    "id, client_order_id, symbol, side, type, time_in_force, qty, notional, limit_price, "
    "stop_price, filled_qty, filled_notional, status, reject_reason, created_at, updated_at, "
    "filled_at, canceled_at, replaces, replaced_by, trail_price, trail_percent, hwm, "
    "order_class, parent_id"
)
_OPEN = ", ".join(f"'{status}'" for status in OPEN_STATUSES)
_SHOWN = {"open": f" AND status IN ({_OPEN})", "closed": f" AND status NOT IN ({_OPEN})", "all": ""}
_LEGS = f"SELECT {_COLUMNS} FROM orders WHERE parent_id = ANY($1::uuid[]) ORDER BY id"


def _page_query(shown: Shown, symbol: str | None, after: uuid.UUID | None) -> tuple[str, list[Any]]:
    """The statement of a page with only the filters it has (12 texts, each prepared once
    per connection), and its arguments after $1 (the user) and $2 (the limit).

    Not one text with optional filters (``$3::text IS NULL OR symbol = $3``): the generic
    plan that a prepared statement settles on cannot tell which apply. On 2M orders, the
    open ones of a user with 140k were read that way by a bitmap scan and a sort of all
    140k (170 ms) instead of down the (user_id, id) index (0.9 ms)."""
    query = f"SELECT {_COLUMNS} FROM orders WHERE user_id = $1{_SHOWN[shown]}"
    args: list[Any] = []
    if symbol is not None:
        args.append(symbol)
        query += f" AND symbol = ${len(args) + 2}"
    if after is not None:
        args.append(after)
        query += f" AND id < ${len(args) + 2}"
    return f"{query} ORDER BY id DESC LIMIT $2", args


async def list_fills(
    db: Database, user_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[Row]:
    """Up to ``limit`` of the caller's fills, newest first, older than the fill ``after``
    if given."""
    args = () if after is None else (after,)
    async with db.connection() as pg:
        rows = await pg.fetch(_FILL_PAGES[after is not None], user_id, limit, *args)
    return [SimpleNamespace(**row) for row in rows]


async def order_fills(db: Database, user_id: uuid.UUID, order_id: uuid.UUID) -> list[Row]:
    """The fills of the caller's order, oldest first (another user's order is a 404,
    like a missing one)."""
    async with db.connection() as pg:
        rows = await pg.fetch(_ORDER_FILLS, order_id, user_id)
    if not rows:
        raise not_found("order")
    return [SimpleNamespace(**row) for row in rows if row["id"] is not None]


# What a fill's answer reads of it (bourse.order.api.routes.to_fill), 9 columns of 11.
_FILL_COLUMNS = "id, order_id, symbol, side, qty, price, liquidity, fee, created_at"
# Down ix_fills_user_id_id; a text with the cursor and one without, as _page_query's.
_FILL_PAGES = {
    paged: f"SELECT {_FILL_COLUMNS} FROM fills WHERE user_id = $1"
    + (" AND id < $3" if paged else "")
    + " ORDER BY id DESC LIMIT $2"
    for paged in (False, True)
}
# The caller's order (down ix_orders_user_id_id) joined to its fills (down
# ix_fills_order_id): no row when the order is not the caller's, one row of NULLs when it
# has no fills.
_ORDER_FILLS = f"""
SELECT f.* FROM orders o
LEFT JOIN (SELECT {_FILL_COLUMNS} FROM fills WHERE order_id = $1 AND user_id = $2) f ON true
WHERE o.id = $1 AND o.user_id = $2
ORDER BY f.id
"""


async def get_by_client_id(db: Database, user_id: uuid.UUID, client_order_id: str) -> Row:
    row = await _by_client_id(db, user_id, client_order_id)
    if row is None:
        raise not_found("order")
    return row


async def _by_client_id(db: Database, user_id: uuid.UUID, client_order_id: str | None) -> Row:
    if client_order_id is None:
        return None
    async with db.reading() as session:
        return await select_by_client_id(session, user_id, client_order_id)


async def cancel_order(
    db: Database, settings: Settings, user_id: uuid.UUID, order_id: uuid.UUID
) -> Row:
    async def work(session: AsyncSession) -> Row:
        row = (
            await session.execute(
                select(orders)
                .where(orders.c.id == order_id, orders.c.user_id == user_id)
                .with_for_update()
            )
        ).one_or_none()
        if row is None:
            raise not_found("order")
        if row.status not in OPEN_STATUSES:
            raise Problem(422, "order_not_open", f"the order is already {row.status}")
        canceled = await request_cancel(session, settings, row)
        await cancel_related(session, settings, row)  # its legs, its oco partner
        return canceled

    return await db.run(work)


async def cancel_all(db: Database, settings: Settings, user_id: uuid.UUID) -> list[Row]:
    async def work(session: AsyncSession) -> list[Row]:
        rows = (
            await session.execute(
                select(orders)
                .where(orders.c.user_id == user_id, orders.c.status.in_(OPEN_STATUSES))
                .order_by(orders.c.id)
                .with_for_update()
            )
        ).all()
        return [await request_cancel(session, settings, row) for row in rows]

    return await db.run(work)
