"""The exchange's journals and the databases.

The exchange's journal lives in this checkout's var/, the databases are the instance's:
two checkouts (or an emptied var/) meet databases that traded with another journal.
order-service records every journal (epoch) each shard ran (table exchange_epochs); a
journal directory names its epoch in EPOCH (bourse.exchange_server.epoch). ``make up``
compares them and never trades on a mismatch silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bourse.stack.instance import INSTANCE, SHARDS, VAR, database_url
from bourse.stack.probes import process_states
from bourse.stack.services import BY_NAME

EPOCH_FILE = "EPOCH"
LEGACY = "a journal from before epochs"
JOURNALS = VAR / "exchange"


def journal_epoch(shard: int) -> str | None:
    """The epoch of this checkout's journal of ``shard`` (None: there is none yet)."""
    directory = JOURNALS / f"shard-{shard}"
    with contextlib.suppress(FileNotFoundError):
        return (directory / EPOCH_FILE).read_text().strip()
    if any(directory.glob("journal-*.jsonl")) or any(directory.glob("snapshot-*.snap")):
        return LEGACY
    return None


@dataclass(frozen=True)
class Recorded:
    """What the order database knows of the exchange's journals."""

    current: dict[int, str]  # shard -> the epoch it runs now
    retired: set[str]
    traded: bool  # some order was ever sent to the exchange


async def _recorded(database: str) -> Recorded | None:
    import asyncpg  # noqa: PLC0415 (only this command needs PostgreSQL)

    try:
        conn = await asyncpg.connect(database_url(database).replace("+asyncpg", ""))
    except (asyncpg.InvalidCatalogNameError, asyncpg.InvalidAuthorizationSpecificationError):
        return None  # no database (or role) yet
    try:
        rows = await conn.fetch("SELECT shard, epoch::text, retired_at FROM exchange_epochs")
        traded = await conn.fetchval("SELECT EXISTS (SELECT FROM orders WHERE sent_to_exchange)")
    except asyncpg.UndefinedTableError:
        return None  # not migrated
    finally:
        await conn.close()
    return Recorded(
        {r["shard"]: r["epoch"] for r in rows if r["retired_at"] is None},
        {r["epoch"] for r in rows if r["retired_at"] is not None},
        bool(traded),
    )


def journal_mismatch(shard: int, journal: str | None, recorded: Recorded) -> str | None:
    """Why this checkout's journal of ``shard`` does not belong with the databases."""
    current = recorded.current.get(shard)
    if journal in (LEGACY, current):
        return None
    if current is None:
        if journal is None or recorded.traded:
            return None  # a fresh start, or databases from before epochs: adopted as found
        return (
            f"shard {shard}: this checkout's journal {journal} never traded with these "
            "databases (they were dropped or belong to another setup)"
        )
    found = "no journal" if journal is None else f"journal {journal}"
    if journal in recorded.retired:
        found += " (retired: another journal replaced it since)"
    return f"shard {shard}: the databases trade with journal {current}, this checkout has {found}"


def _orphan(shard: int) -> Path:
    """Move this checkout's journal of ``shard`` aside (kept, never deleted)."""
    target = VAR / "exchange-orphaned" / f"{time.strftime('%Y%m%d-%H%M%S')}-shard-{shard}"
    target.parent.mkdir(parents=True, exist_ok=True)
    (JOURNALS / f"shard-{shard}").rename(target)
    return target


def check_journals(adopt: bool) -> int:
    """Exit status of ``journals``: 0 when the journals and the databases belong together
    (or ``adopt`` made them), 1 with what to do otherwise."""
    order = BY_NAME["order"]
    recorded = asyncio.run(_recorded(order.database)) if order.database else None
    if recorded is None:
        return 0
    found = {k: journal_epoch(k) for k in range(SHARDS)}
    problems = {k: why for k, j in found.items() if (why := journal_mismatch(k, j, recorded))}
    if not problems:
        return 0
    for why in problems.values():
        print(f"stack: {why}", file=sys.stderr)
    adopt = adopt or INSTANCE.name != "dev"  # the test suite's instance is disposable
    if adopt and process_states() is None:
        for k in problems:
            if found[k] is not None:
                print(f"stack: shard {k}: its journal moved aside to {_orphan(k)}")
        print(
            "stack: adopting: the exchange starts from an empty journal; the open orders the"
            " databases believed on the old book end canceled (reason exchange_reset)"
        )
        return 0
    print(_MISMATCH_HELP, file=sys.stderr)
    return 1


_MISMATCH_HELP = """
stack: the exchange's journal and the databases do not belong together: trading now would
leave orders waiting forever for a book that does not exist. Choose one:
  make reset          drop this instance's databases, queued messages and var/exchange:
                      a clean start (every user, order and balance is lost)
  make up ADOPT=1     keep the databases; the exchange starts from an empty journal (this
                      checkout's, if any, is moved to var/exchange-orphaned/); the open
                      orders of the old book end canceled (exchange_reset), their
                      reservations released
  or run make up in the checkout whose var/exchange holds the databases' journal.
(stop the stack first, make down, when it is running)"""
