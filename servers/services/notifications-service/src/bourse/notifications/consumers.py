"""What notifications-service consumes: one durable quorum work queue,
``notifications.events``. The messaging runtime decodes each message, dedupes it by
message id through the inbox and calls a handler here inside the consumer's transaction;
the handler stores at most one notification per cause (``source_key``), so an event
published twice under two message ids is still one notification."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bourse.contracts import Envelope
from bourse.contracts.events import (
    AccountUpdated,
    AlertTriggered,
    AutoRunFinished,
    OrderChanged,
    UserRegistered,
)
from bourse.contracts.topology import AUTO, ORDERS, TRADER, USERS
from bourse.messaging.runtime import Subscription
from bourse.messaging.topology import Binding, QueueSpec
from bourse.notifications import store
from bourse.notifications.config import Settings
from bourse.notifications.domain import messages

QUEUE = "notifications.events"
BINDINGS = (
    *(
        Binding(ORDERS, f"order.{status}")
        for status in ("filled", "partially_filled", "canceled", "rejected", "expired")
    ),
    Binding(AUTO, "auto.run.succeeded"),
    Binding(AUTO, "auto.run.failed"),
    Binding(AUTO, "alert.triggered.#"),  # "#": symbols may contain dots
    Binding(TRADER, "account.updated.deposit"),  # the only account change users are told of
    Binding(USERS, "user.registered"),
)


def subscription(settings: Settings) -> Subscription:
    return Subscription(
        QueueSpec(settings.queue_prefix + QUEUE, BINDINGS),
        {
            OrderChanged.TYPE: on_order_changed,
            AutoRunFinished.TYPE: on_auto_run,
            AlertTriggered.TYPE: on_alert,
            AccountUpdated.TYPE: on_account_updated,
            UserRegistered.TYPE: on_user_registered,
        },
        workers=4,
        partition_key=by_user,  # one user's notifications are stored in arrival order
    )


def by_user(payload: dict[str, Any]) -> str:
    order = payload.get("order") or {}
    return str(payload.get("user_id") or order.get("user_id") or "")


async def on_order_changed(session: AsyncSession, _: Envelope, event: OrderChanged) -> None:
    draft = messages.for_order(event)
    if draft is not None:
        await store.add(session, event.order.user_id, draft)


async def on_auto_run(session: AsyncSession, _: Envelope, event: AutoRunFinished) -> None:
    await store.add(session, event.user_id, messages.for_auto_run(event))


async def on_alert(session: AsyncSession, _: Envelope, event: AlertTriggered) -> None:
    await store.add(session, event.user_id, messages.for_alert(event))


async def on_account_updated(
    session: AsyncSession, envelope: Envelope, event: AccountUpdated
) -> None:
    draft = messages.for_account(event, str(envelope.message_id))
    if draft is not None:
        await store.add(session, event.user_id, draft)


async def on_user_registered(session: AsyncSession, _: Envelope, event: UserRegistered) -> None:
    await store.add(session, event.user_id, messages.for_registration(event))
