"""What ``python -m bourse.notifications declare`` leaves on the broker: the service's work
queue, and no longer the queue of /ws/trade-updates (order-service writes the trade
updates now), which a broker that still has it would keep filling with every order event."""

import uuid

import aio_pika
import pytest

from bourse.contracts.topology import ORDERS
from bourse.messaging.broker import Broker
from bourse.messaging.runtime import CREATED
from bourse.messaging.topology import Binding, QueueSpec, declare_queue
from bourse.notifications.config import Settings
from bourse.notifications.consumers import BINDINGS, retired_queues
from bourse.notifications.main import create_app
from bourse.testing.polling import eventually

from notifications_support import order


async def messages_in(broker: Broker, name: str) -> int | None:
    """How many messages the queue holds; None when there is no such queue."""
    channel = await broker.channel()
    try:
        declared = await channel.declare_queue(name, passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return None
    await channel.close()
    return declared.declaration_result.message_count or 0


async def test_declare_deletes_the_retired_trade_updates_queue(
    settings: Settings, publisher: Broker
) -> None:
    (retired,) = retired_queues(settings)
    assert retired == settings.queue_prefix + "notifications.trade_updates"
    channel = await publisher.channel()
    await declare_queue(channel, QueueSpec(retired, [Binding(ORDERS, "order.new.#")]))
    await channel.close()
    await publisher.publish(order(uuid.uuid4(), "new"))
    assert await eventually(lambda: _holds(publisher, retired))
    create_app(settings)
    await CREATED[-1].declare()  # what `python -m bourse.notifications declare` runs
    assert await messages_in(publisher, retired) is None
    assert await messages_in(publisher, retired + ".dlq") is None
    assert await messages_in(publisher, settings.queue_prefix + "notifications.events") is not None


@pytest.mark.parametrize("key", ["order.pending_new.#", "order.new.#", "order.cancel_requested"])
def test_the_work_queue_binds_no_order_event_only_trade_updates_wanted(key: str) -> None:
    assert Binding(ORDERS, key) not in BINDINGS


async def _holds(broker: Broker, name: str) -> bool:
    return bool(await messages_in(broker, name))
