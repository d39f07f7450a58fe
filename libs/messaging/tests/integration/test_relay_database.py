"""The relay's own use of its database. It keeps the outbox small by itself: every event
is a row inserted and deleted, and with autovacuum off (as on this project's CI server)
or slow, the dead rows would pile up and every take-out would walk them. And its deletes
commit without waiting for their WAL flush."""

import asyncio
import uuid

from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts.events import UserRegistered
from bourse.contracts.topology import USERS
from bourse.messaging.broker import Broker
from bourse.messaging.outbox import stage
from bourse.messaging.relay import RELAY_LOCK_KEY, OutboxRelay
from bourse.messaging.topology import Binding, QueueSpec, declare_queue
from bourse.testing.polling import eventually

from messaging_support import running


def registered() -> UserRegistered:
    return UserRegistered(user_id=uuid.uuid4(), email=f"{uuid.uuid4().hex[:8]}@example.com")


async def _stage(db: Database, events: int) -> None:
    async with db.transaction() as session:
        await stage(session, *(registered() for _ in range(events)))


async def _vacuums(db: Database) -> int:
    """How many times the outbox was vacuumed (the vacuum reports it when it ends)."""
    async with db.transaction() as session:
        query = "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'outbox'"
        return int(await session.scalar(text(query)) or 0)


async def _queue(broker: Broker) -> None:
    """Somewhere for the published events to go."""
    spec = QueueSpec(f"test.vacuum.{uuid.uuid4().hex[:8]}", [Binding(USERS, "user.#")])
    channel = await broker.channel()
    await declare_queue(channel, spec)
    await channel.close()


async def test_the_relay_vacuums_the_outbox_after_enough_rows(db: Database, broker: Broker) -> None:
    await _queue(broker)
    relay = OutboxRelay(db, broker, "msg-test", sweep_interval=0.05, vacuum_every=25)
    vacuums = await _vacuums(db)
    await _stage(db, 20)
    async with running(relay.run):
        assert await eventually(lambda: _backlog_is_empty(relay))
        await asyncio.sleep(0.3)  # a few sweeps: 20 rows taken out is not enough
        assert await _vacuums(db) == vacuums

        await _stage(db, 10)
        assert await eventually(lambda: _vacuumed(db, vacuums + 1))


async def _backlog_is_empty(relay: OutboxRelay) -> bool:
    return await relay.backlog() == 0


async def _vacuumed(db: Database, times: int) -> bool:
    return await _vacuums(db) == times


async def test_the_relays_deletes_do_not_wait_for_their_wal_flush(
    db: Database, broker: Broker
) -> None:
    """A lost delete only republishes its rows (the inbox drops the copies), so the
    relay's connection commits asynchronously; nothing else does."""
    relay = OutboxRelay(db, broker, "msg-test")
    connection = await relay._connection()  # the relay's own: it publishes on it
    try:
        assert await connection.fetchval("SHOW synchronous_commit") == "off"
    finally:
        await connection.close()
    async with db.transaction() as session:
        assert await session.scalar(text("SHOW synchronous_commit")) == "on"


async def test_a_relay_takes_nothing_while_another_holds_the_publishing_lock(
    db: Database, broker: Broker
) -> None:
    """Two relays never publish at once (that would reorder events): the lock is tried in
    the statement that takes the rows out, and not held, it takes none."""
    await _queue(broker)
    await _stage(db, 3)
    relay = OutboxRelay(db, broker, "msg-test")
    async with db.transaction() as other:
        await other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RELAY_LOCK_KEY})
        assert await relay.publish_batch() == 0
        assert await relay.backlog() == 3
    assert await relay.publish_batch() == 3
    await relay.drain()  # nothing left; closes the relay's connection
