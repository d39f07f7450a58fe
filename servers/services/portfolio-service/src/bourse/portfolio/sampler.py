"""Equity sampling: once per slot, every user's equity (cash + positions at the last
known prices, valued as :mod:`domain.valuation` does) goes into ``equity_samples``.

Every instance runs the loop; the (user, slot) primary key and ON CONFLICT DO NOTHING
make the first writer of a slot win, so several instances never double a sample and a
slot is still sampled while any one of them is up.
"""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, func, literal, select, union
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import Database
from bourse.portfolio.db import accounts, equity_samples, positions, prices
from bourse.portfolio.domain.history import seconds_to_next_slot, slot_of

log = logging.getLogger(__name__)


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


async def sample_now(db: Database, interval_s: float) -> int:
    slot = slot_of(datetime.now(UTC), interval_s)
    return await db.run(lambda session: sample_equity(session, slot))


async def sample_forever(db: Database, interval_s: float) -> None:
    """Sample at the start of every slot (a slot missed while down stays empty)."""
    while True:
        try:
            taken = await sample_now(db, interval_s)
            log.debug("equity sampled for %d users", taken)
        except Exception as exc:
            log.warning("equity sampling failed: %r", exc)
        await asyncio.sleep(seconds_to_next_slot(datetime.now(UTC), interval_s))
