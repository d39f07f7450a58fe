"""What notifications-service does with the events it consumes, a batch at a time
(ARCHITECTURE §4a): each event becomes at most one notification (its draft), and the
batch's drafts are stored with one statement per table. Storing is idempotent by cause
(``source_key``), so an event published twice under two message ids is still one
notification."""

from collections.abc import Sequence
from uuid import UUID

from bourse.contracts.events import (
    AccountUpdated,
    AlertTriggered,
    AutoRunFinished,
    OrderChanged,
    UserRegistered,
)
from bourse.messaging.uow import Event, UnitOfWork
from bourse.notifications import store
from bourse.notifications.domain import messages
from bourse.notifications.domain.messages import Draft

Notifiable = OrderChanged | AutoRunFinished | AlertTriggered | AccountUpdated | UserRegistered


async def on_notifiable_events(uow: UnitOfWork, events: Sequence[Event[Notifiable]]) -> None:
    drafts = [drafted for event in events if (drafted := draft_for(event)) is not None]
    if drafts:
        await store.add_all(await uow.pg(), drafts)


def draft_for(event: Event[Notifiable]) -> tuple[UUID, Draft] | None:
    """The user to tell and what to tell them; None when the event is not news to them."""
    payload = event.payload
    if isinstance(payload, OrderChanged):
        draft = messages.for_order(payload)
        return (payload.order.user_id, draft) if draft else None
    if isinstance(payload, AccountUpdated):
        draft = messages.for_account(payload, str(event.message_id))
        return (payload.user_id, draft) if draft else None
    if isinstance(payload, AutoRunFinished):
        return payload.user_id, messages.for_auto_run(payload)
    if isinstance(payload, AlertTriggered):
        return payload.user_id, messages.for_alert(payload)
    return payload.user_id, messages.for_registration(payload)
