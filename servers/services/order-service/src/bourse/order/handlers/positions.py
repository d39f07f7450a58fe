"""Closing positions (DELETE /positions[/{symbol}]): a market sell of what the caller
holds. order-service does not own holdings: trader-service's account is the source of
truth for what is held and what open orders keep reserved, so it is asked (with the
caller's own credentials, so the answer is scoped to the caller like any request).

Closing everything with ``cancel_orders`` cancels the caller's open orders first. A
position some open sells still reserve cannot be sold before those are off the book and
their shares released, so its close is created ``held``: it waits for those sells to
end (``release_to``, handlers/legs.release) and then sells the whole position less what
they filled meanwhile, through the normal risk check.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.common.errors import Problem
from bourse.contracts.orders import OPEN_STATUSES
from bourse.order.config import Settings
from bourse.order.db import orders
from bourse.order.domain.order_classes import close_qty
from bourse.order.domain.placement import OrderRequest, place
from bourse.order.handlers.orders import (
    Row,
    create_order,
    insert_order,
    load_instrument,
    request_cancel,
)

FORWARDED = ("authorization", "x-bourse-key-id", "x-bourse-key-secret")


@dataclass(frozen=True)
class Holding:
    symbol: str
    qty: Decimal
    available_qty: Decimal


async def holdings(settings: Settings, headers: Mapping[str, str]) -> dict[str, Holding]:
    """The caller's holdings, from trader-service's account (503 when it cannot say)."""
    forwarded = {name: headers[name] for name in FORWARDED if name in headers}
    try:
        async with httpx.AsyncClient(base_url=settings.trader_url, timeout=5) as client:
            response = await client.get("/api/v1/account", headers=forwarded)
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["holdings"]
        found = {
            item["symbol"]: Holding(
                item["symbol"], Decimal(item["qty"]), Decimal(item["available_qty"])
            )
            for item in items
        }
    except (httpx.HTTPError, KeyError, ValueError, ArithmeticError) as exc:
        raise Problem(
            503, "account_unavailable", f"the trading account could not be read: {exc!r}"
        ) from exc
    return {symbol: h for symbol, h in found.items() if h.qty > 0}


def _sell(symbol: str, qty: Decimal) -> OrderRequest:
    return OrderRequest(symbol, "sell", "market", "day", qty, None, None, None)


async def close_position(
    db: Database,
    settings: Settings,
    user_id: uuid.UUID,
    holding: Holding | None,
    qty: Decimal | None,
    percentage: Decimal | None,
) -> Row:
    if holding is None:
        raise Problem(404, "position_not_found", "you hold no position in this symbol")

    async def work(session: AsyncSession) -> Row:
        instrument = await load_instrument(session, holding.symbol)
        amount = close_qty(holding.qty, holding.available_qty, instrument.lot_size, qty, percentage)
        row, _ = await create_order(session, settings, user_id, _sell(holding.symbol, amount), None)
        return row

    return await db.run(work)


async def close_all(
    db: Database, settings: Settings, user_id: uuid.UUID, held: dict[str, Holding], cancel: bool
) -> list[Row]:
    """One close per position (those with nothing available are left alone unless
    ``cancel``: then the caller's open orders are cancelled first)."""

    async def work(session: AsyncSession) -> list[Row]:
        waiting: dict[str, list[Row]] = {}
        if cancel:
            for row in await _lock_open(session, user_id):
                updated = await request_cancel(session, settings, row)
                if updated.side == "sell" and updated.status in OPEN_STATUSES:
                    waiting.setdefault(updated.symbol, []).append(updated)
        closes = []
        for symbol, holding in sorted(held.items()):
            if symbol in waiting:
                sells = waiting[symbol]
                closes.append(await _held_close(session, settings, holding, sells, user_id))
            elif holding.available_qty > 0:
                request = _sell(symbol, holding.available_qty)
                closes.append((await create_order(session, settings, user_id, request, None))[0])
        return closes

    return await db.run(work)


async def _lock_open(session: AsyncSession, user_id: uuid.UUID) -> list[Row]:
    query = (
        select(orders)
        .where(orders.c.user_id == user_id, orders.c.status.in_(OPEN_STATUSES))
        .order_by(orders.c.id)
        .with_for_update()
    )
    return list((await session.execute(query)).all())


async def _held_close(
    session: AsyncSession,
    settings: Settings,
    holding: Holding,
    sells: list[Row],
    user_id: uuid.UUID,
) -> Row:
    """A close that waits for ``sells`` (being cancelled) to end, then sells the position
    less what they filled from now on."""
    request = _sell(holding.symbol, holding.qty)
    place(request, await load_instrument(session, holding.symbol), settings.collar)  # a 422 now
    base = sum((row.filled_qty for row in sells), Decimal(0))
    close = await insert_order(
        session, user_id, request, None, status="pending_new", held=True,
        replace_base_filled=base,
    )  # fmt: skip
    await session.execute(
        update(orders).where(orders.c.id.in_([r.id for r in sells])).values(release_to=close.id)
    )
    return close
