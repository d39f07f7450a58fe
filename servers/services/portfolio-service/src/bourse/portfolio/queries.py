"""Reads: one user's book (for the API and the live feed) and their equity history."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on

from bourse.common.db import Database
from bourse.portfolio.db import equity_samples
from bourse.portfolio.domain.history import UNITS, Timeframe
from bourse.portfolio.domain.positions import ZERO, Position
from bourse.portfolio.domain.valuation import Book, Quote


@dataclass(frozen=True)
class HistoryRange:
    timeframe: Timeframe
    start: datetime | None
    end: datetime | None
    limit: int


# The book in one round trip: the account's cash, each position, and its symbol's last
# price; one row even for a user with no account and no positions yet.
_BOOK = """
SELECT a.cash, p.symbol, p.qty, p.cost, p.realized_pl, q.price, q.ts
FROM (SELECT $1::uuid AS user_id) AS u
LEFT JOIN accounts a ON a.user_id = u.user_id
LEFT JOIN positions p ON p.user_id = u.user_id
LEFT JOIN prices q ON q.symbol = p.symbol
ORDER BY p.symbol
"""


async def load_book(db: Database, user_id: UUID) -> Book:
    """The user's book, read on a pooled connection outside any transaction."""
    async with db.connection() as pg:
        rows = await pg.fetch(_BOOK, user_id)
    cash = rows[0]["cash"]
    held = {
        r["symbol"]: Position(r["qty"], r["cost"], r["realized_pl"]) for r in rows if r["symbol"]
    }
    quotes = {r["symbol"]: Quote(r["price"], r["ts"]) for r in rows if r["price"] is not None}
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
