"""What autovacuum does for a service's tables, done by the service when the server has
autovacuum off (as this project's CI server has).

Why it matters for speed, not only for space: a prepared statement's generic plan is
costed once, with the table's size at that moment, and kept until the table's statistics
change. The hot path prepares its statements when its tables are nearly empty, where a
sequential scan is the cheapest plan; without ANALYZE the plan never changes, and every
``WHERE id = ANY($1)`` walks the whole table as it grows (measured: order-service's orders
scanned 2,244 times, 6.7M rows read, in a 30 s run of 6,000 orders). ANALYZE invalidates
the cached plans, and the next ones use the index.

So every ``interval`` one instance of the service (holder of an advisory lock) applies
autovacuum's own rules, with the server's own settings: ANALYZE a table once more rows
changed since its last analysis than ``autovacuum_analyze_threshold +
autovacuum_analyze_scale_factor x rows``, VACUUM it once it holds more dead rows than
``autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor x rows``, both throttled
by autovacuum's cost-based delay. With autovacuum on, it does nothing.
"""

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from bourse.common.db import Database

log = logging.getLogger(__name__)

UPKEEP_LOCK_KEY = 0x0B0B60  # a session lock per database, apart from the relay's keys

# The tables of the current schema that autovacuum's rules say are due, as quoted names.
_DUE = """
WITH rules AS (
  SELECT current_setting('autovacuum_analyze_threshold')::float8 AS analyze_base,
         current_setting('autovacuum_analyze_scale_factor')::float8 AS analyze_scale,
         current_setting('autovacuum_vacuum_threshold')::float8 AS vacuum_base,
         current_setting('autovacuum_vacuum_scale_factor')::float8 AS vacuum_scale
)
SELECT format('%I.%I', s.schemaname, s.relname) AS name,
       s.n_mod_since_analyze > r.analyze_base + r.analyze_scale * greatest(c.reltuples, 0)
         AS needs_analyze,
       s.n_dead_tup > r.vacuum_base + r.vacuum_scale * greatest(c.reltuples, 0)
         AS needs_vacuum
FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid CROSS JOIN rules r
WHERE s.schemaname = current_schema()
ORDER BY s.relname
"""

# autovacuum's cost-based delay (where it is not -1, "as plain VACUUM"): the upkeep is as
# gentle with the disk and the CPU as autovacuum would have been, not a VACUUM at full speed
# in the middle of the trading day
AS_GENTLE_AS_AUTOVACUUM = """
SELECT set_config('vacuum_cost_delay', current_setting('autovacuum_vacuum_cost_delay'), false)
WHERE current_setting('autovacuum_vacuum_cost_delay') <> '-1'
UNION ALL
SELECT set_config('vacuum_cost_limit', current_setting('autovacuum_vacuum_cost_limit'), false)
WHERE current_setting('autovacuum_vacuum_cost_limit') <> '-1'
"""


@dataclass(frozen=True)
class Due:
    table: str  # quoted, schema-qualified
    analyze: bool
    vacuum: bool

    @property
    def command(self) -> str:
        if self.vacuum:
            return "VACUUM (ANALYZE)" if self.analyze else "VACUUM"  # one pass for both
        return "ANALYZE"


class TableUpkeep:
    def __init__(self, db: Database, interval: float = 10.0) -> None:
        self.db = db
        self.interval = interval

    async def run(self) -> None:
        """Every ``interval``, the upkeep that is due while autovacuum is off (never with
        an interval of 0)."""
        while self.interval > 0:
            await asyncio.sleep(self.interval)
            try:
                if await self.autovacuum_is_off():
                    await self.once()
            except Exception:  # the database away for a while: try again next time
                log.warning("table upkeep failed; trying again later", exc_info=True)

    async def autovacuum_is_off(self) -> bool:
        async with self.db.connection() as pg:
            return bool(await pg.fetchval("SELECT current_setting('autovacuum') = 'off'"))

    async def once(self) -> list[Due]:
        """Analyze and vacuum the tables that are due, unless another instance is doing
        it; what was done."""
        async with self.db.connection() as pg:
            if not await pg.fetchval("SELECT pg_try_advisory_lock($1)", UPKEEP_LOCK_KEY):
                return []
            try:
                due = [Due(*row) for row in await pg.fetch(_DUE)]
                done = [d for d in due if d.analyze or d.vacuum]
                if done:
                    await _apply(pg, done)
                return done
            finally:
                await pg.execute("SELECT pg_advisory_unlock($1)", UPKEEP_LOCK_KEY)


async def _apply(pg: asyncpg.Connection, done: list[Due]) -> None:
    """Each table's command at autovacuum's pace; the connection's own pace back after."""
    await pg.execute(AS_GENTLE_AS_AUTOVACUUM)
    try:
        for d in done:
            await pg.execute(f"{d.command} {d.table}")
    finally:
        await pg.execute("RESET vacuum_cost_delay; RESET vacuum_cost_limit")
