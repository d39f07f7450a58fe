"""Equity sampling: once per slot, every user's equity (cash + positions at the last
known prices, valued as :mod:`domain.valuation` does) goes into ``equity_samples``.
Old history is thinned: past a week only the last sample of each hour stays, past a
year the last of each day, which is exactly what the 1h and 1d timeframes show.

Every instance runs the loop; the (user, slot) primary key and ON CONFLICT DO NOTHING
make the first writer of a slot win, so several instances never double a sample and a
slot is still sampled while any one of them is up.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, delete, func, literal, select, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.portfolio.db import accounts, equity_samples, positions, prices
from bourse.portfolio.domain.history import seconds_to_next_slot, slot_of

log = logging.getLogger(__name__)
EVERY_SLOT_KEPT = timedelta(days=7)  # then one sample an hour
HOURLY_KEPT = timedelta(days=366)  # then one a day
THIN_EVERY_S = 3600.0


async def sample_equity(session: AsyncSession, slot: datetime) -> int:
    """Take ``slot``'s sample of every user that has none yet; returns how many."""
    users = union(select(accounts.c.user_id), select(positions.c.user_id)).subquery()
    worth = func.coalesce(positions.c.qty * prices.c.price, positions.c.cost)  # no price: cost
    holdings = (
        select(positions.c.user_id, func.sum(worth).label("value"))
        .select_from(positions.outerjoin(prices, prices.c.symbol == positions.c.symbol))
        .group_by(positions.c.user_id)
        .subquery()
    )
    cash = func.coalesce(accounts.c.cash, 0)
    market_value = func.coalesce(holdings.c.value, 0)
    rows = select(
        users.c.user_id,
        literal(slot, DateTime(timezone=True)),
        cash,
        market_value,
        cash + market_value,
    ).select_from(
        users.outerjoin(accounts, accounts.c.user_id == users.c.user_id).outerjoin(
            holdings, holdings.c.user_id == users.c.user_id
        )
    )
    columns = ["user_id", "bucket", "cash", "market_value", "equity"]
    result = await session.execute(
        insert(equity_samples).from_select(columns, rows).on_conflict_do_nothing()
    )
    return cast(CursorResult[Any], result).rowcount


async def thin_history(session: AsyncSession, now: datetime) -> int:
    """Keep only each user's last sample of every hour past a week, and of every day past
    a year: exactly what the 1h and 1d timeframes show. Returns how many went. Safe on
    every instance at once (the same rows go, whoever deletes them)."""
    removed = 0
    for older_than, unit in ((EVERY_SLOT_KEPT, "hour"), (HOURLY_KEPT, "day")):
        later = equity_samples.alias("later")
        same_period = func.date_trunc(unit, later.c.bucket, "UTC") == func.date_trunc(
            unit, equity_samples.c.bucket, "UTC"
        )
        last_of_period = (
            select(func.max(later.c.bucket))
            .where(later.c.user_id == equity_samples.c.user_id, same_period)
            .scalar_subquery()
        )
        result = await session.execute(
            delete(equity_samples).where(
                equity_samples.c.bucket < now - older_than,
                equity_samples.c.bucket < last_of_period,
            )
        )
        removed += cast(CursorResult[Any], result).rowcount
    return removed


async def thin_now(db: Database) -> int:
    now = datetime.now(UTC)
    return await db.run(lambda session: thin_history(session, now))


async def sample_now(db: Database, interval_s: float) -> int:
    slot = slot_of(datetime.now(UTC), interval_s)
    return await db.run(lambda session: sample_equity(session, slot))


async def sample_forever(db: Database, interval_s: float) -> None:
    """Sample at the start of every slot (a slot missed while down stays empty)."""
    next_thinning = 0.0
    while True:
        try:
            taken = await sample_now(db, interval_s)
            log.debug("equity sampled for %d users", taken)
            if time.monotonic() >= next_thinning:
                next_thinning = time.monotonic() + THIN_EVERY_S
                log.debug("equity history thinned: %d samples", await thin_now(db))
        except Exception as exc:
            log.warning("equity sampling failed: %r", exc)
        await asyncio.sleep(seconds_to_next_slot(datetime.now(UTC), interval_s))
