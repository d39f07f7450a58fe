"""Staging events in the outbox, inside the caller's transaction."""

from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common import context
from bourse.contracts import Envelope
from bourse.contracts.events import Payload
from bourse.messaging import staging
from bourse.messaging.tables import outbox

_INSERT = insert(outbox)  # built once, not per call: every staged event runs it


def envelope_for(payload: Payload) -> Envelope:
    """Wrap ``payload``, carrying the current correlation id and the message being handled
    (if any) as the causation."""
    return Envelope(
        type=payload.TYPE,
        version=payload.VERSION,
        correlation_id=context.correlation_id.get(),
        causation_id=context.causation_id.get(),
        payload=payload.model_dump(mode="json"),
    )


async def stage(session: AsyncSession, *payloads: Payload) -> list[UUID]:
    """Add events to the outbox; they are published only if the transaction commits. The
    service's staging observers see them now (:mod:`bourse.messaging.staging`), and may
    keep one that no queue binds out of the outbox."""
    rows: list[dict[str, Any]] = []
    for payload in staging.observe(session, payloads):
        envelope = envelope_for(payload)
        rows.append(
            {
                "id": envelope.message_id,
                "exchange": payload.EXCHANGE,
                "routing_key": payload.routing_key(),
                "message_type": payload.TYPE,
                "body": envelope.to_bytes(),
                "headers": {},
            }
        )
    if rows:
        await session.execute(_INSERT, rows)
    return [row["id"] for row in rows]
