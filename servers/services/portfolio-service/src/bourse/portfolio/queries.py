"""Reads: one user's book (for the API and the live feed) and their equity history."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.portfolio.db import accounts, equity_samples, positions, prices
from bourse.portfolio.domain.history import UNITS, Timeframe
from bourse.portfolio.domain.positions import ZERO, Position
from bourse.portfolio.domain.valuation import Book, Quote


@dataclass(frozen=True)
class HistoryRange:
    timeframe: Timeframe
    start: datetime | None
    end: datetime | None
    limit: int


async def load_book(db: Database, user_id: UUID) -> Book:
    async with db.reading() as session:
        return await read_book(session, user_id)


async def read_book(session: AsyncSession, user_id: UUID) -> Book:
    cash: Decimal | None = await session.scalar(
        select(accounts.c.cash).where(accounts.c.user_id == user_id)
    )
    rows = (
        await session.execute(
            select(positions.c.symbol, positions.c.qty, positions.c.cost, positions.c.realized_pl)
            .where(positions.c.user_id == user_id)
            .order_by(positions.c.symbol)
        )
    ).all()
    held = {row.symbol: Position(row.qty, row.cost, row.realized_pl) for row in rows}
    quotes: dict[str, Quote] = {}
    if held:
        found = await session.execute(
            select(prices.c.symbol, prices.c.price, prices.c.ts).where(prices.c.symbol.in_(held))
        )
        quotes = {row.symbol: Quote(row.price, row.ts) for row in found}
    return Book(cash if cash is not None else ZERO, held, quotes)


async def equity_history(db: Database, user_id: UUID, wanted: HistoryRange) -> list[Any]:
    """(ts, equity) per period of the timeframe: the last sample taken in each period,
    within [start, end); the newest ``limit`` periods, oldest first."""
    period = func.date_trunc(UNITS[wanted.timeframe], equity_samples.c.bucket, "UTC")
    last_per_period = (
        select(period.label("ts"), equity_samples.c.equity)
        .where(equity_samples.c.user_id == user_id)
        .ext(distinct_on(period))
        .order_by(period, equity_samples.c.bucket.desc())
    )
    if wanted.start is not None:
        last_per_period = last_per_period.where(equity_samples.c.bucket >= wanted.start)
    if wanted.end is not None:
        last_per_period = last_per_period.where(equity_samples.c.bucket < wanted.end)
    periods = last_per_period.subquery()
    newest = select(periods).order_by(periods.c.ts.desc()).limit(wanted.limit)
    async with db.reading() as session:
        rows = (await session.execute(newest)).all()
    return list(reversed(rows))
