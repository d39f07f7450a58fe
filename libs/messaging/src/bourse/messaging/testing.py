"""Test helpers: apply one message as a service's consumer would (inbox, then handler, in
one transaction), without a broker (the broker path itself is tested in this library's
own tests). A subscription's ``wants`` filter is not applied: the handler sees every
message, so its own checks stay tested."""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from bourse.common.db import Database
from bourse.contracts import Envelope, payload_model
from bourse.contracts.events import Payload
from bourse.messaging.consumer import Handler, record_in_inbox


def envelope_of(payload: Payload, message_id: UUID | None = None, **fields: Any) -> Envelope:
    """``payload`` in an envelope; ``fields``: other envelope fields (occurred_at, ...)."""
    if message_id is not None:
        fields["message_id"] = message_id
    return Envelope(type=payload.TYPE, payload=payload.model_dump(mode="json"), **fields)


async def apply_as_consumer(
    db: Database, consumer: str, handlers: Mapping[str, Handler], envelope: Envelope
) -> bool:
    """Decode ``envelope`` off the wire, record it in ``consumer``'s inbox and handle it,
    in one transaction; False when the inbox says it was applied before."""
    envelope = Envelope.from_bytes(envelope.to_bytes())
    payload = payload_model(envelope.type).model_validate(envelope.payload)
    async with db.transaction() as session:
        if not await record_in_inbox(session, consumer, [envelope.message_id]):
            return False
        await handlers[envelope.type](session, envelope, payload)
    return True
