"""Trade updates' queue, retention and socket bookkeeping: the queue is a single active
consumer bound to every order event and to the accepted cancels alone; pruning deletes
only what is older than the retention and never restarts the seqs; a socket never takes
an update twice and is told to go when it falls too far behind."""

import uuid
from datetime import timedelta

from sqlalchemy import text

from bourse.common.db import Database
from bourse.contracts.topology import ORDERS
from bourse.messaging.topology import Binding
from bourse.notifications.config import Settings
from bourse.notifications.consumers import BINDINGS, trade_updates_subscription
from bourse.notifications.handlers import trade_updates as handlers
from bourse.notifications.handlers.trade_updates import prune_once
from bourse.notifications.live.trade_updates import Subscriber
from bourse.notifications.store.trade_updates import Stored
from bourse.testing.messaging import envelope_of

from notifications_support import cancel_requested, deliver_trade_updates, order


def test_the_queue_keeps_publishing_order_and_takes_every_order_event() -> None:
    subscription = trade_updates_subscription(Settings(queue_prefix="x."))
    spec = subscription.queue
    assert spec.name == "x.notifications.trade_updates"
    assert spec.arguments()["x-single-active-consumer"] is True
    assert subscription.workers == 1 and subscription.partition_key is None
    keys = {b.routing_key for b in spec.bindings if b.exchange == ORDERS}
    assert keys == {
        "order.pending_new.#", "order.new.#", "order.partially_filled.#", "order.filled.#",
        "order.pending_cancel.#", "order.canceled.#", "order.rejected.#", "order.expired.#",
        "order.replaced.#", "order.cancel_requested",
    }  # fmt: skip
    # the inbox queue is not bound to the events only trade updates want
    assert Binding(ORDERS, "order.pending_new.#") not in BINDINGS
    assert Binding(ORDERS, "order.cancel_requested") not in BINDINGS


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


async def test_pruning_deletes_only_old_updates_and_seqs_go_on(
    db: Database, user: uuid.UUID
) -> None:
    await deliver_trade_updates(db, [envelope_of(order(user, "new")) for _ in range(3)])
    await age(db, user, [1, 2], days=8)
    await age(db, user, [3], days=6)  # within the retention: kept
    assert await prune_once(db, timedelta(days=7)) >= 2
    assert [u.seq for u in await handlers.page(db, user, 0, 10)] == [3]
    await deliver_trade_updates(db, [envelope_of(cancel_requested(user))])
    assert [u.seq for u in await handlers.page(db, user, 0, 10)] == [3, 4]
    assert await handlers.last_seq(db, user) == 4
    await age(db, user, [3, 4], days=8)
    assert await prune_once(db, timedelta(days=7)) >= 2
    assert await handlers.page(db, user, 0, 10) == []
    assert await handlers.last_seq(db, user) == 4  # the counter stays


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


async def test_the_last_seq_of_a_user_without_updates_is_zero(db: Database) -> None:
    assert await handlers.last_seq(db, uuid.uuid4()) == 0
