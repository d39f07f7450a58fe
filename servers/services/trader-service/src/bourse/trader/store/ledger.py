"""The ledger's SQL for the HTTP use cases (SQLAlchemy Core), inside the caller's
transaction: accounts, holdings, reservations, activities and instruments. Lock order as
the package says (bourse.trader.store). And the account as read outside a transaction
(asyncpg), the read that bots poll."""

from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import fetch_or_create
from bourse.contracts.events import AccountUpdated
from bourse.contracts.ids import uuid7
from bourse.messaging.outbox import stage
from bourse.trader.db import accounts, activities, holdings, instruments
from bourse.trader.domain.ledger import Balance, Position


async def open_account(session: AsyncSession, user_id: UUID) -> None:
    """Create the account (cash 0) unless it exists."""
    await session.execute(insert(accounts).values(user_id=user_id).on_conflict_do_nothing())


async def lock_account(session: AsyncSession, user_id: UUID) -> Balance:
    """The account, locked for this transaction (opened on demand)."""
    row = await fetch_or_create(
        lambda: _account(session, user_id, lock=True), lambda: open_account(session, user_id)
    )
    return Balance(row.cash, row.reserved_cash)


async def _account(session: AsyncSession, user_id: UUID, *, lock: bool) -> Any:
    query = select(accounts.c.cash, accounts.c.reserved_cash).where(accounts.c.user_id == user_id)
    return (await session.execute(query.with_for_update() if lock else query)).one_or_none()


async def save_account(session: AsyncSession, user_id: UUID, balance: Balance) -> None:
    await session.execute(
        update(accounts)
        .where(accounts.c.user_id == user_id)
        .values(cash=balance.cash, reserved_cash=balance.reserved_cash, updated_at=func.now())
    )


async def save_balance(
    session: AsyncSession,
    user_id: UUID,
    balance: Balance,
    reason: str,
    *,
    amount: Decimal | None = None,
    activity_id: UUID | None = None,
) -> None:
    """Save the account's cash and announce it (AccountUpdated, in this transaction);
    ``amount`` is the signed change of a deposit or withdrawal."""
    await save_account(session, user_id, balance)
    updated = AccountUpdated(
        user_id=user_id,
        cash=balance.cash,
        reserved_cash=balance.reserved_cash,
        reason=reason,
        amount=amount,
        activity_id=activity_id,
    )
    await stage(session, updated)


async def lock_holding(session: AsyncSession, user_id: UUID, symbol: str) -> Position:
    """The holding of ``symbol`` (zero when there is none yet), locked. Call with the
    account locked: that is what makes a missing row safe to insert later."""
    row = (
        await session.execute(
            select(holdings.c.qty, holdings.c.reserved_qty)
            .where(holdings.c.user_id == user_id, holdings.c.symbol == symbol)
            .with_for_update()
        )
    ).one_or_none()
    return Position(row.qty, row.reserved_qty) if row else Position()


async def save_holding(
    session: AsyncSession, user_id: UUID, symbol: str, position: Position
) -> None:
    values = {"qty": position.qty, "reserved_qty": position.reserved_qty}
    await session.execute(
        insert(holdings)
        .values(user_id=user_id, symbol=symbol, **values)
        .on_conflict_do_update(
            index_elements=[holdings.c.user_id, holdings.c.symbol],
            set_={**values, "updated_at": func.now()},
        )
    )


async def add_activity(
    session: AsyncSession, user_id: UUID, kind: str, **fields: Any
) -> tuple[UUID, datetime]:
    """Write a ledger entry; returns its id and time."""
    row = (
        await session.execute(
            insert(activities)
            .values(id=uuid7(), user_id=user_id, type=kind, **fields)
            .returning(activities.c.id, activities.c.created_at)
        )
    ).one()
    return row.id, row.created_at


async def lot_size(session: AsyncSession, symbol: str) -> Decimal | None:
    """The lot size of a known instrument; None for an unknown symbol."""
    value: Decimal | None = await session.scalar(
        select(instruments.c.lot_size).where(instruments.c.symbol == symbol)
    )
    return value


async def upsert_instrument(
    session: AsyncSession, symbol: str, lot: Decimal, tick: Decimal, status: str
) -> None:
    values = {"lot_size": lot, "tick_size": tick, "status": status}
    await session.execute(
        insert(instruments)
        .values(symbol=symbol, **values)
        .on_conflict_do_update(
            index_elements=[instruments.c.symbol], set_={**values, "updated_at": func.now()}
        )
    )


class Held(NamedTuple):
    symbol: str
    qty: Decimal
    reserved_qty: Decimal


# One round trip: the account and its non-empty holdings, by symbol.
_ACCOUNT_WITH_HOLDINGS = """
SELECT a.cash, a.reserved_cash, h.symbol, h.qty, h.reserved_qty
FROM accounts a LEFT JOIN holdings h ON h.user_id = a.user_id AND h.qty > 0
WHERE a.user_id = $1
ORDER BY h.symbol
"""


async def account_as_read(
    pg: asyncpg.Connection, user_id: UUID
) -> tuple[Balance, list[Held]] | None:
    """:func:`read_account` with one statement, on a connection outside any transaction;
    None while the account is not opened (opening it is a write: :func:`read_account`)."""
    rows = await pg.fetch(_ACCOUNT_WITH_HOLDINGS, user_id)
    if not rows:
        return None
    held = [Held(r["symbol"], r["qty"], r["reserved_qty"]) for r in rows if r["symbol"]]
    return Balance(rows[0]["cash"], rows[0]["reserved_cash"]), held


async def read_account(session: AsyncSession, user_id: UUID) -> tuple[Balance, list[Any]]:
    """The account (opened on demand) and its non-empty holdings, by symbol."""
    row = await fetch_or_create(
        lambda: _account(session, user_id, lock=False), lambda: open_account(session, user_id)
    )
    rows = await session.execute(
        select(holdings.c.symbol, holdings.c.qty, holdings.c.reserved_qty)
        .where(holdings.c.user_id == user_id, holdings.c.qty > 0)
        .order_by(holdings.c.symbol)
    )
    return Balance(row.cash, row.reserved_cash), list(rows.all())


async def activities_page(
    session: AsyncSession, user_id: UUID, before: UUID | None, limit: int
) -> list[Any]:
    """Up to ``limit`` ledger entries of the user, newest first, older than ``before``."""
    query = select(activities).where(activities.c.user_id == user_id)
    if before is not None:
        query = query.where(activities.c.id < before)
    query = query.order_by(activities.c.id.desc()).limit(limit)
    return list((await session.execute(query)).all())
