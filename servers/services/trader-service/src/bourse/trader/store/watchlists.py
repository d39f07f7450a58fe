"""Watchlists' SQL, inside the caller's transaction."""

from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts.ids import uuid7
from bourse.trader.db import instruments, watchlists


async def known_symbols(session: AsyncSession, symbols: list[str]) -> set[str]:
    """Those of ``symbols`` that are listed instruments (as instrument.changed told us)."""
    if not symbols:
        return set()
    rows = await session.scalars(
        select(instruments.c.symbol).where(instruments.c.symbol.in_(symbols))
    )
    return set(rows)


async def lock_watchlists_of(session: AsyncSession, user_id: UUID) -> None:
    """Serialize this transaction with the user's other watchlist changes (the count and
    name checks hold until commit). An advisory lock: it touches no account row."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"watchlists:{user_id}"},
    )


async def count_watchlists(session: AsyncSession, user_id: UUID) -> int:
    count = await session.scalar(
        select(func.count()).select_from(watchlists).where(watchlists.c.user_id == user_id)
    )
    return count or 0


async def watchlist_name_taken(
    session: AsyncSession, user_id: UUID, name: str, other_than: UUID | None = None
) -> bool:
    query = select(watchlists.c.id).where(
        watchlists.c.user_id == user_id, watchlists.c.name == name
    )
    if other_than is not None:
        query = query.where(watchlists.c.id != other_than)
    return (await session.scalar(query)) is not None


async def add_watchlist(session: AsyncSession, user_id: UUID, name: str, symbols: list[str]) -> Any:
    return (
        await session.execute(
            insert(watchlists)
            .values(id=uuid7(), user_id=user_id, name=name, symbols=symbols)
            .returning(*watchlists.c)
        )
    ).one()


async def get_watchlist(
    session: AsyncSession, user_id: UUID, watchlist_id: UUID, *, lock: bool = False
) -> Any:
    """The user's watchlist; None when there is none or it is another user's."""
    query = select(watchlists).where(
        watchlists.c.id == watchlist_id, watchlists.c.user_id == user_id
    )
    return (await session.execute(query.with_for_update() if lock else query)).one_or_none()


async def save_watchlist(
    session: AsyncSession, watchlist_id: UUID, name: str, symbols: list[str]
) -> Any:
    return (
        await session.execute(
            update(watchlists)
            .where(watchlists.c.id == watchlist_id)
            .values(name=name, symbols=symbols, updated_at=func.now())
            .returning(*watchlists.c)
        )
    ).one()


async def delete_watchlist(session: AsyncSession, user_id: UUID, watchlist_id: UUID) -> bool:
    deleted = await session.scalar(
        delete(watchlists)
        .where(watchlists.c.id == watchlist_id, watchlists.c.user_id == user_id)
        .returning(watchlists.c.id)
    )
    return deleted is not None


async def watchlists_page(
    session: AsyncSession, user_id: UUID, after: UUID | None, limit: int
) -> list[Any]:
    """Up to ``limit`` watchlists of the user, oldest first, created after ``after``."""
    query = select(watchlists).where(watchlists.c.user_id == user_id)
    if after is not None:
        query = query.where(watchlists.c.id > after)
    query = query.order_by(watchlists.c.id).limit(limit)
    return list((await session.execute(query)).all())
