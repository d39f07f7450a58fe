"""The outbox relay: publishes staged events with confirms, then deletes them.

* Order: rows go out in id (UUIDv7) order, batch after batch; a transaction-scoped advisory
  lock lets one relay of a service publish at a time, so running several instances never
  reorders events.
* At least once: a batch is deleted in a transaction that commits only after every
  confirm of the batch arrived; a crash or a broker outage leaves its rows to be published
  again, and consumers drop the duplicates by ``message_id`` (inbox).
* Latency: a trigger NOTIFYs at commit and wakes the relay; a periodic sweep covers a
  missed notification or a relay that started late.
* Batches (ARCHITECTURE §4a): consecutive rows of one exchange, routing key and type go
  out as ONE message carrying their envelopes in order (:mod:`bourse.messaging.wire`),
  and a woken relay lingers a few milliseconds first, so that commits arriving together
  share messages: the broker and every consumer handle one message instead of many.
* Bloat: every event is a row inserted and then deleted, so the table is a queue. The
  leader VACUUMs it itself after every ``vacuum_every`` rows it took out, instead of
  counting on autovacuum (off on some servers, and slow to react to a table this small
  and this busy): otherwise dead rows pile up and every take-out and backlog count walks
  them (a 375-row outbox had grown to 62 MB after 80,000 events with autovacuum off).
* Cost: of several instances, only the leader (holder of a session advisory lock on its
  LISTEN connection) listens and publishes; the others only try to take over once per
  sweep interval. Otherwise every commit would wake every instance for a transaction that
  all but one lose.
"""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

import asyncpg
from sqlalchemy import delete, func, text

from bourse.common.db import Database, driver_dsn
from bourse.common.metrics import OUTBOX_BACKLOG
from bourse.messaging.broker import Broker
from bourse.messaging.tables import OUTBOX_CHANNEL, inbox
from bourse.messaging.wire import BATCH_HEADER, batch_body

log = logging.getLogger(__name__)
RELAY_LOCK_KEY = 0x0B0B5E  # per database: every service has its own
LEADER_LOCK_KEY = 0x0B0B5F  # a session lock; must differ from the transaction lock above
PRUNE_INTERVAL = 600.0  # seconds between inbox prunes
INBOX_RETENTION = "7 days"
VACUUM_EVERY = 10_000  # outbox rows taken out between two VACUUMs of the table
# The relay's deletes need not wait for their WAL flush: one lost in a server crash only
# brings its rows back, published again, and consumers drop the copies (inbox). Every
# write that a consumer's ack or a client's answer depends on stays synchronous.
RELAY_SETTINGS = {"synchronous_commit": "off"}


# Prepared once per connection by asyncpg: the relay runs it at every wake-up. The lock
# is tried once (an InitPlan) in the same round trip; not held, nothing is taken out.
_TAKE_OLDEST = """
WITH relay AS (SELECT pg_try_advisory_xact_lock($2) AS held)
DELETE FROM outbox
WHERE (SELECT held FROM relay) AND id IN (SELECT id FROM outbox ORDER BY id LIMIT $1)
RETURNING id, exchange, routing_key, message_type, body, headers
"""


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        broker: Broker,
        service: str,
        *,
        batch_size: int = 500,
        sweep_interval: float = 1.0,
        linger: float = 0.002,
        events_per_message: int = 100,
        vacuum_every: int = VACUUM_EVERY,
    ) -> None:
        self.db = db
        self.broker = broker
        self.service = service
        self.batch_size = batch_size
        self.sweep_interval = sweep_interval
        self.linger = linger
        self.events_per_message = events_per_message
        self.vacuum_every = vacuum_every
        self._taken_since_vacuum = 0
        self._wake = asyncio.Event()
        # One operation at a time on the relay's connection: drain() (tests, shutdown)
        # publishes while run() may be publishing too.
        self._busy = asyncio.Lock()
        self._listener: asyncpg.Connection | None = None
        self._leader = False
        self._next_gauge = 0.0  # monotonic times of the next housekeeping tasks
        self._next_prune = 0.0

    async def run(self) -> None:
        """Publish forever; errors (broker or database down) are retried with backoff."""
        backoff = 0.1
        while True:
            try:
                if not await self._lead():
                    await asyncio.sleep(self.sweep_interval)
                    continue
                self._wake.clear()
                if await self.publish_batch() >= self.batch_size:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.sweep_interval)
                    await asyncio.sleep(self.linger)  # let the commits of this moment join
                await self._housekeeping()
                backoff = 0.1
            except asyncio.CancelledError:
                await self._close_listener()
                raise
            except Exception as exc:
                log.warning("outbox relay: %r; retrying in %.1fs", exc, backoff)
                await self._close_listener()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def publish_batch(self) -> int:
        """Publish the oldest staged rows; returns how many went out."""
        async with self._busy:
            return await self._publish_oldest()

    async def _publish_oldest(self) -> int:
        conn = await self._connection()
        async with conn.transaction():
            # locked and taken out in one statement; a failed publish rolls it back
            rows = await conn.fetch(_TAKE_OLDEST, self.batch_size, RELAY_LOCK_KEY)
            rows.sort(key=_id_of)
            if not rows:
                return 0
            await asyncio.gather(*(self._publish(group) for group in self._messages(rows)))
        self._taken_since_vacuum += len(rows)
        return len(rows)

    def _messages(self, rows: Sequence[Any]) -> Iterator[list[Any]]:
        """The rows in order, cut into messages: consecutive rows of one exchange, routing
        key and type (without headers of their own), at most ``events_per_message``."""
        for _, run in groupby(rows, key=_route_of):
            group = list(run)
            for start in range(0, len(group), self.events_per_message):
                yield group[start : start + self.events_per_message]

    async def _publish(self, group: list[Any]) -> None:
        first = group[0]
        if len(group) == 1:
            body, headers = first["body"], json.loads(first["headers"])
        else:
            body = batch_body([row["body"] for row in group])
            headers = {BATCH_HEADER: len(group)}
        await self.broker.publish_raw(
            first["exchange"],
            first["routing_key"],
            body,
            message_id=str(first["id"]),
            message_type=first["message_type"],
            headers=headers,
        )

    async def drain(self, timeout: float = 10.0) -> None:
        """Publish until the outbox is empty (tests and graceful shutdown)."""
        try:
            async with asyncio.timeout(timeout):
                while await self.publish_batch() or await self.backlog():
                    await asyncio.sleep(0.01)
        finally:
            await self._close_listener()

    async def backlog(self) -> int:
        """Rows waiting in the outbox (read once per sweep for the gauge: one statement on
        a pooled asyncpg connection, no transaction)."""
        async with self.db.connection() as pg:
            return int(await pg.fetchval("SELECT count(*) FROM outbox"))

    async def _housekeeping(self) -> None:
        """The outbox vacuumed after ``vacuum_every`` rows, the backlog gauge once per
        sweep interval and the inbox pruned every ten minutes, by the clock: the relay
        wakes at every commit that stages a message, and a query per wake-up would cost
        every busy service a transaction per publish."""
        if self._taken_since_vacuum >= self.vacuum_every:
            await self.vacuum()
        now = time.monotonic()
        if now >= self._next_gauge:
            self._next_gauge = now + self.sweep_interval
            OUTBOX_BACKLOG.labels(self.service).set(await self.backlog())
        if now >= self._next_prune:
            self._next_prune = now + PRUNE_INTERVAL
            async with self.db.transaction() as session:
                await session.execute(
                    delete(inbox).where(
                        inbox.c.processed_at < func.now() - text(f"interval '{INBOX_RETENTION}'")
                    )
                )

    async def vacuum(self) -> None:
        """Reclaim the dead rows of the outbox (VACUUM runs outside a transaction, on the
        relay's own connection; it does not block the commits that stage events)."""
        async with self._busy:
            conn = await self._connection()
            await conn.execute("VACUUM outbox")
        self._taken_since_vacuum = 0

    @property
    def is_leader(self) -> bool:
        return self._leader

    async def _connection(self) -> asyncpg.Connection:
        """The relay's own connection: it listens (as the leader) and publishes on it."""
        if self._listener is None or self._listener.is_closed():
            await self._close_listener()
            self._listener = await asyncpg.connect(
                driver_dsn(self.db.engine.url), server_settings=RELAY_SETTINGS
            )
        return self._listener

    async def _lead(self) -> bool:
        """Whether this instance is the leader, becoming it if the post is free. The lock
        lives as long as this connection: if the leader dies, the server frees it."""
        await self._connection()
        assert self._listener is not None
        if not self._leader:
            lock = "SELECT pg_try_advisory_lock($1)"
            if not await self._listener.fetchval(lock, LEADER_LOCK_KEY):
                return False
            await self._listener.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
            self._leader = True
        return True

    async def _close_listener(self) -> None:
        self._leader = False
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
            self._listener = None


def _route_of(row: Any) -> tuple[Any, ...]:
    """Rows with headers of their own go alone (a batch has one set of headers)."""
    alone = row["id"] if row["headers"] not in ("{}", None) else None
    return (row["exchange"], row["routing_key"], row["message_type"], alone)


def _id_of(row: Any) -> Any:
    return row["id"]
