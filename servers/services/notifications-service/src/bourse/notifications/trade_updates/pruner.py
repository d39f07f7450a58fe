"""Pruning: updates older than the retention are deleted, a bounded chunk per statement,
every ``trade_updates_prune_interval_s`` on every instance (concurrent prunes only
delete the same old rows; the counters, and so the seqs, are never touched)."""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from bourse.common.db import Database
from bourse.notifications.config import Settings
from bourse.notifications.trade_updates import store
from bourse.notifications.trade_updates.handlers import connection

log = logging.getLogger(__name__)
CHUNK = 10_000


async def prune_once(db: Database, retention: timedelta, now: datetime | None = None) -> int:
    """Delete every update stored before ``now - retention``; how many went."""
    before = (now or datetime.now(UTC)) - retention
    total = 0
    while True:
        async with connection(db) as pg:
            deleted = await store.prune(pg, before, CHUNK)
        total += deleted
        if deleted < CHUNK:
            return total


async def run_pruner(db: Database, settings: Settings) -> None:
    retention = timedelta(days=settings.trade_updates_retention_days)
    while True:
        try:
            if deleted := await prune_once(db, retention):
                log.info("pruned %d trade updates older than %s", deleted, retention)
        except Exception:
            log.exception("pruning trade updates failed; trying again later")
        await asyncio.sleep(settings.trade_updates_prune_interval_s)
