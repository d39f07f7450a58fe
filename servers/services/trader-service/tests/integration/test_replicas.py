"""Two replicas consuming one queue, with users in common, through the real broker: no
batch deadlocks for good (PostgreSQL's deadlock detector and the consumer's retry resolve
any), nothing is dead-lettered, and the ledger ends exactly as applying every message one
at a time ends it (ARCHITECTURE §4a).

The flow is one whose outcome does not depend on the order in which two replicas happen
to apply its messages (every hold fits, fills and ends of one order commute by design:
a release waits for every fill), in two phases as the saga orders them: the risk
requests, then the fills and cancels of the accepted orders."""

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts import Envelope
from bourse.contracts.events import OrderStatus
from bourse.contracts.topology import ORDERS
from bourse.messaging.broker import Broker
from bourse.messaging.consumer import Consumer
from bourse.messaging.topology import QueueSpec
from bourse.testing.infra import migrated_database
from bourse.testing.messaging import envelope_of
from bourse.testing.polling import eventually
from bourse.trader.config import Settings
from bourse.trader.consumers import subscription
from bourse.trader.main import MIGRATIONS

from trader_support import deliver_batch, fill, order_changed, risk

USERS = [uuid.UUID(int=n) for n in range(1, 7)]
SUBSCRIPTION = subscription(Settings())


def flow(seed: int) -> tuple[list[Envelope], list[Envelope]]:
    """(risk requests, then fills and ends) for six users, four orders each."""
    rng = random.Random(seed)
    requests, changes = [], []
    for user in USERS:
        for _ in range(4):
            qty = rng.randint(2, 9)
            side = rng.choice(["buy", "sell"])
            if side == "buy":
                request = risk(user, "buy", cash=str(qty * 10))
            else:
                request = risk(user, "sell", qty=str(qty))
            requests.append(envelope_of(request))
            done = rng.randint(0, qty)
            if done:
                trade = fill(str(done), "9.5")
                change = order_changed(request, "partially_filled", str(done), trade)
                changes.append(envelope_of(change))
            end: OrderStatus = "canceled" if done < qty else "filled"
            changes.append(envelope_of(order_changed(request, end, str(done))))
    rng.shuffle(requests)
    rng.shuffle(changes)
    return requests, changes


async def migrated(prefix: str) -> AsyncIterator[Database]:
    async with migrated_database(prefix, MIGRATIONS, pool_size=10) as database:
        async with database.transaction() as session:
            for user in USERS:
                await session.execute(
                    text("INSERT INTO accounts (user_id, cash) VALUES (:u, 100000)"), {"u": user}
                )
                await session.execute(
                    text("INSERT INTO holdings (user_id, symbol, qty) VALUES (:u, 'ACME', 1000)"),
                    {"u": user},
                )
        yield database


@pytest.fixture
async def broker(trader_vhost: str) -> AsyncIterator[Broker]:
    connection = Broker(trader_vhost, "trader-replicas-test")
    await connection.connect()
    yield connection
    await connection.close()


@pytest.fixture
async def replicas_db() -> AsyncIterator[Database]:
    async for database in migrated("bourse_trader_replicas"):
        yield database


@pytest.fixture
async def sequential_db() -> AsyncIterator[Database]:
    async for database in migrated("bourse_trader_sequential"):
        yield database


async def ledger(db: Database) -> dict[str, Any]:
    """Balances, holdings and reservations; ledger entries and announced decisions as
    multisets (two replicas may write them in another order)."""
    async with db.transaction() as session:
        rows = {
            "accounts": "SELECT user_id, cash, reserved_cash FROM accounts ORDER BY 1",
            "holdings": "SELECT user_id, symbol, qty, reserved_qty FROM holdings ORDER BY 1, 2",
            "reservations": (
                "SELECT order_id, cash_remaining, qty_remaining, filled_qty_applied,"
                " final_filled_qty, status FROM reservations ORDER BY 1"
            ),
        }
        found: dict[str, Any] = {
            name: [tuple(row) for row in await session.execute(text(query))]
            for name, query in rows.items()
        }
        entries = await session.execute(
            text("SELECT user_id, type, amount, qty, order_id, fill_id FROM activities")
        )
        found["activities"] = Counter(tuple(row) for row in entries)
        bodies = await session.scalars(text("SELECT body FROM outbox"))
        announced = (_announced(Envelope.from_bytes(body)) for body in bodies)
        found["events"] = Counter(event for event in announced if event is not None)
    return found


def _announced(envelope: Envelope) -> tuple[str, str] | None:
    """The decisions announced (one per risk request, whatever the order). Account
    updates are left out: how many there are, and with which reason, depends on which of
    two events of one order was applied first (a cancel before its fill releases with
    the fill, in one update; after it, in an update of its own); the balances they lead
    to are compared above."""
    if envelope.type == "account.updated":
        return None
    return (envelope.type, str(sorted(envelope.payload.items())))


def by_user(payload: dict[str, Any]) -> str:
    """Lanes of one replica split by user (the service runs one lane; four here make each
    replica apply batches concurrently, the harder case for deadlocks)."""
    order = payload.get("order") or {}
    return str(payload.get("user_id") or order.get("user_id") or payload.get("symbol") or "")


async def test_two_replicas_with_users_in_common_end_as_one_at_a_time(
    broker: Broker, replicas_db: Database, sequential_db: Database
) -> None:
    requests, changes = flow(seed=7)
    queue = QueueSpec(f"test.trader.replicas.{uuid.uuid4().hex[:8]}", SUBSCRIPTION.queue.bindings)
    replicas = [
        Consumer(
            broker,
            replicas_db,
            queue,
            SUBSCRIPTION.handlers,
            batch=SUBSCRIPTION.batch,
            workers=4,
            partition_key=by_user,
            prefetch=50,
        )
        for _ in range(2)
    ]
    for replica in replicas:
        await replica.start()
    running = [asyncio.create_task(replica.run()) for replica in replicas]
    try:
        applied = 0
        for phase in (requests, changes):
            for envelope in phase:
                await broker.publish_envelope(ORDERS, _key(envelope), envelope)
            applied += len(phase)
            assert await eventually(partial(_inbox_holds, replicas_db, applied), timeout=60)
            await asyncio.gather(*(replica.wait_idle(30) for replica in replicas))
        assert await _dead_letters(broker, queue) == 0
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        for replica in replicas:
            await replica.stop()
    for envelope in [*requests, *changes]:
        await deliver_batch(sequential_db, [envelope])
    assert await ledger(replicas_db) == await ledger(sequential_db)


def _key(envelope: Envelope) -> str:
    if envelope.type == "order.risk_requested":
        return "order.risk_requested"
    return f"order.{envelope.payload['order']['status']}"


async def _inbox_holds(db: Database, count: int) -> bool:
    async with db.transaction() as session:
        return int(await session.scalar(text("SELECT count(*) FROM inbox")) or 0) == count


async def _dead_letters(broker: Broker, queue: QueueSpec) -> int:
    channel = await broker.channel()
    try:
        declared = await channel.declare_queue(queue.dead_letter_queue, passive=True)
        return declared.declaration_result.message_count or 0
    finally:
        await channel.close()
