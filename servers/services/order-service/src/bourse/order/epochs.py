"""Which exchange journal (epoch) each shard runs, and what a new one means.

Every execution report and every shard's start announcement names the journal it comes
from. The first epoch seen for a shard is simply recorded. A different one means the
shard's journal was replaced (an emptied or new directory, a replaced volume): the book
the old journal held is gone, and nothing will ever report on its orders again. So the
orders the old journal last reported on that are still open are ended ``canceled`` (or
``replaced``, releasing a waiting replacement) with the reason ``exchange_reset``, and
their events published: trader-service releases what they held, notifications tell
their owners. Orders never acknowledged by any journal are left alone: their ``new``
command is still in the shard's queue (or unacked there), and the new journal will
journal it and report on it.

Reports and announcements arrive on one queue with a single active consumer, in the
order the exchange published them: every report of the old journal is applied before
the new journal's announcement. A report from a retired journal can only come from an
exchange process that outlived its replacement; it describes a book already written
off, so it is dropped (loudly).

Reports without an epoch (an exchange from before epochs) change nothing here, and an
order last reported on by such an exchange has no ``exchange_epoch``: a reset cannot
tell which book it was on, so it is not reconciled (only data from before the upgrade).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts.orders import OPEN_STATUSES
from bourse.order.db import exchange_epochs, orders

log = logging.getLogger(__name__)

EXCHANGE_RESET = "exchange_reset"


@dataclass(frozen=True)
class Seen:
    current: bool  # False: a retired journal (drop its reports)
    lost: list[UUID]  # the journals it replaces now: their open orders must be ended


async def observe(session: AsyncSession, shard: int, epoch: UUID) -> Seen:
    """Record that ``shard`` runs journal ``epoch``; retire the journal it replaces."""
    known = (
        await session.execute(
            select(exchange_epochs).where(exchange_epochs.c.shard == shard).with_for_update()
        )
    ).all()
    for row in known:
        if row.epoch == epoch:
            if row.retired_at is not None:
                log.error("shard %d: a report from journal %s, retired already", shard, epoch)
            return Seen(row.retired_at is None, [])
    now = datetime.now(UTC)
    await session.execute(
        insert(exchange_epochs)
        .values(epoch=epoch, shard=shard, seen_at=now)
        .on_conflict_do_nothing()
    )
    replaced = [row.epoch for row in known if row.retired_at is None]
    if not replaced:
        log.info("shard %d runs journal %s", shard, epoch)
        return Seen(True, [])
    log.warning("shard %d: journal %s replaced %s: its book is lost", shard, epoch, replaced)
    await session.execute(
        update(exchange_epochs).where(exchange_epochs.c.epoch.in_(replaced)).values(retired_at=now)
    )
    return Seen(True, [row.epoch for row in known])


async def lost_orders(session: AsyncSession, lost: list[UUID]) -> list[Any]:
    """The open orders last reported by one of the ``lost`` journals, locked."""
    if not lost:
        return []
    return list(
        (
            await session.execute(
                select(orders)
                .where(orders.c.exchange_epoch.in_(lost), orders.c.status.in_(OPEN_STATUSES))
                .order_by(orders.c.id)
                .with_for_update()
            )
        ).all()
    )
