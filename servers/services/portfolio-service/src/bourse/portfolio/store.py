"""Reading and writing positions, cash and prices inside the caller's transaction."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import fetch_or_create
from bourse.portfolio.db import accounts, fills, positions, prices, securities_deposits
from bourse.portfolio.domain.positions import ZERO, Position

# The time given to a price taken from a fill, and to an account not yet heard of: older
# than any real event (not datetime.min: asyncpg stores that as -infinity).
SEEDED = datetime(1970, 1, 1, tzinfo=UTC)


async def lock_position(session: AsyncSession, user_id: UUID, symbol: str) -> Position:
    """The position (created flat when missing), locked for this transaction."""
    flat = insert(positions).values(user_id=user_id, symbol=symbol).on_conflict_do_nothing()
    row = await fetch_or_create(
        lambda: _locked_position(session, user_id, symbol), lambda: session.execute(flat)
    )
    return Position(row.qty, row.cost, row.realized_pl)


async def _locked_position(session: AsyncSession, user_id: UUID, symbol: str) -> Any:
    return (
        await session.execute(
            select(positions.c.qty, positions.c.cost, positions.c.realized_pl)
            .where(positions.c.user_id == user_id, positions.c.symbol == symbol)
            .with_for_update()
        )
    ).one_or_none()


async def save_position(
    session: AsyncSession, user_id: UUID, symbol: str, position: Position
) -> None:
    await session.execute(
        update(positions)
        .where(positions.c.user_id == user_id, positions.c.symbol == symbol)
        .values(
            qty=position.qty,
            cost=position.cost,
            realized_pl=position.realized_pl,
            updated_at=func.now(),
        )
    )


async def record_fill(session: AsyncSession, **values: Any) -> bool:
    """Remember a fill; False when it was applied before (same fill id)."""
    inserted = await session.scalar(
        insert(fills).values(**values).on_conflict_do_nothing().returning(fills.c.id)
    )
    return inserted is not None


async def record_deposit(session: AsyncSession, **values: Any) -> bool:
    """Remember a securities deposit; False when it was applied before (same id)."""
    inserted = await session.scalar(
        insert(securities_deposits)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(securities_deposits.c.id)
    )
    return inserted is not None


async def set_cash(
    session: AsyncSession, user_id: UUID, cash: Decimal, reserved: Decimal, as_of: datetime
) -> Decimal | None:
    """Store the account's cash unless a newer state is stored already. Returns the cash
    before (0 for a new account), or None when this state was older and ignored."""
    new_account = (
        insert(accounts)
        .values(user_id=user_id, cash=ZERO, reserved_cash=ZERO, as_of=SEEDED)
        .on_conflict_do_nothing()
    )
    row = await fetch_or_create(
        lambda: _locked_account(session, user_id), lambda: session.execute(new_account)
    )
    if row.as_of > as_of:
        return None
    await session.execute(
        update(accounts)
        .where(accounts.c.user_id == user_id)
        .values(cash=cash, reserved_cash=reserved, as_of=as_of, updated_at=func.now())
    )
    previous: Decimal = row.cash
    return previous


async def _locked_account(session: AsyncSession, user_id: UUID) -> Any:
    return (
        await session.execute(
            select(accounts.c.cash, accounts.c.as_of)
            .where(accounts.c.user_id == user_id)
            .with_for_update()
        )
    ).one_or_none()


async def set_price(session: AsyncSession, symbol: str, price: Decimal, ts: datetime) -> None:
    """The symbol's last price, unless a later trade's price is stored already."""
    statement = insert(prices).values(symbol=symbol, price=price, ts=ts)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[prices.c.symbol],
            set_={"price": statement.excluded.price, "ts": statement.excluded.ts},
            where=prices.c.ts <= statement.excluded.ts,
        )
    )


async def seed_price(session: AsyncSession, symbol: str, price: Decimal) -> None:
    """A fill's price for a symbol with no known price yet (any market price wins)."""
    await session.execute(
        insert(prices).values(symbol=symbol, price=price, ts=SEEDED).on_conflict_do_nothing()
    )


async def last_price(session: AsyncSession, symbol: str) -> Decimal | None:
    price: Decimal | None = await session.scalar(
        select(prices.c.price).where(prices.c.symbol == symbol)
    )
    return price
