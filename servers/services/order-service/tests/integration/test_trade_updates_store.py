"""Trade updates' source, retention and socket bookkeeping: the service's transactions
turn every order event they stage, and only those, into trade updates; pruning deletes
only what is older than the retention and never restarts the seqs; a socket never takes
an update twice and is told to go when it falls too far behind."""

import asyncio
import json
import random
import uuid
from datetime import timedelta
from decimal import Decimal

import httpx
from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts.events import RiskRequested
from bourse.order.handlers import trade_updates as handlers
from bourse.order.handlers.trade_updates import prune_once
from bourse.order.live.trade_updates import Subscriber
from bourse.order.store.trade_updates import Stored

from order_support import cancel_event, order_event, stage_all


async def test_the_services_transactions_turn_order_events_alone_into_trade_updates(
    app_client: httpx.AsyncClient,
) -> None:
    """The service's database writes them (no queue, no subscription): an order change and
    an accepted cancel each become an update; another event staged with them does not."""
    db: Database = app_client.app.state.runtime.db  # type: ignore[attr-defined]
    user = uuid.uuid4()
    risk = RiskRequested(
        order_id=uuid.uuid4(), user_id=user, symbol="AAPL", side="buy",
        reserve_cash=Decimal(1), reserve_qty=Decimal(0),
    )  # fmt: skip
    await stage_all(db, [order_event(user, "pending_new"), risk, cancel_event(user)])
    events = [(u.seq, json.loads(u.message)["event"]) for u in await handlers.page(db, user, 0, 9)]
    assert events == [(1, "pending_new"), (2, "pending_cancel")]


async def age(db: Database, user: uuid.UUID, seqs: list[int], days: int) -> None:
    """Make the user's updates ``seqs`` ``days`` old."""
    async with db.transaction() as session:
        await session.execute(
            text(
                "UPDATE trade_updates SET created_at = now() - make_interval(days => :d)"
                " WHERE user_id = :u AND seq = ANY(:s)"
            ),
            {"u": user, "s": seqs, "d": days},
        )


async def test_pruning_deletes_only_old_updates_and_seqs_go_on(log_db: Database) -> None:
    db, user = log_db, uuid.uuid4()
    await stage_all(db, [order_event(user, "new") for _ in range(3)])
    await age(db, user, [1, 2], days=8)
    await age(db, user, [3], days=6)  # within the retention: kept
    assert await prune_once(db, timedelta(days=7)) >= 2
    assert [u.seq for u in await handlers.page(db, user, 0, 10)] == [3]
    await stage_all(db, [cancel_event(user)])
    assert [u.seq for u in await handlers.page(db, user, 0, 10)] == [3, 4]
    assert await handlers.last_seq(db, user) == 4
    await age(db, user, [3, 4], days=8)
    assert await prune_once(db, timedelta(days=7)) >= 2
    assert await handlers.page(db, user, 0, 10) == []
    assert await handlers.last_seq(db, user) == 4  # the counter stays


async def test_concurrent_transactions_number_each_users_updates_without_gap_or_repeat(
    log_db: Database,
) -> None:
    """Batches on overlapping users committing at once (the counters are created by the
    first of them): every user's seqs are 1..n, each once."""
    users = [uuid.uuid4() for _ in range(5)]
    rng = random.Random(7)
    batches = [[rng.choice(users) for _ in range(rng.randint(1, 8))] for _ in range(12)]
    await asyncio.gather(
        *(stage_all(log_db, [order_event(user, "new") for user in batch]) for batch in batches)
    )
    for user in users:
        seqs = [u.seq for u in await handlers.page(log_db, user, 0, 1000)]
        assert seqs == list(range(1, sum(b.count(user) for b in batches) + 1))
        assert await handlers.last_seq(log_db, user) == len(seqs)


def test_a_socket_takes_each_update_once_and_overflows_to_a_close() -> None:
    user = uuid.uuid4()
    subscriber = Subscriber(user, limit=2, sent=1)
    update = [Stored(user, seq, f'{{"seq":{seq}}}') for seq in range(1, 6)]
    assert not subscriber.offer(update[0])  # had it before
    assert subscriber.offer(update[1]) and not subscriber.offer(update[1])
    assert subscriber.offer(update[2])
    assert not subscriber.offer(update[3])  # a third one waiting: too slow
    assert subscriber.overflowed and not subscriber.offer(update[4])
    queued = [subscriber.outbox.get_nowait() for _ in range(subscriber.outbox.qsize())]
    assert queued == ['{"seq":2}', '{"seq":3}', None]


async def test_the_last_seq_of_a_user_without_updates_is_zero(log_db: Database) -> None:
    assert await handlers.last_seq(log_db, uuid.uuid4()) == 0
