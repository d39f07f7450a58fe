"""What one AMQP message carries: one envelope, or an ordered batch of envelopes of one
exchange, routing key and type (ARCHITECTURE §4a), and how a message is settled once
every event it carried has been.

A batch body is a JSON array of envelopes, marked by the header :data:`BATCH_HEADER`;
each envelope keeps its own ``message_id``, so the inbox dedupes event by event and a
redelivered batch whose events were partly applied applies only the rest.
"""

import json
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Any

from aio_pika.abc import AbstractIncomingMessage
from pydantic import TypeAdapter, ValidationError

from bourse.contracts import Envelope, payload_model
from bourse.contracts.events import Payload

log = logging.getLogger(__name__)
BATCH_HEADER = "x-bourse-batch"  # its value: how many envelopes the body holds
# A batch body parsed and validated in one pass by pydantic-core (no json.loads first).
_BATCH = TypeAdapter(list[Envelope])


class PoisonMessageError(Exception):
    """The body cannot be decoded into a known message."""


def batch_body(bodies: Sequence[bytes]) -> bytes:
    """The body of a batch message from the envelopes' own bodies (no re-encoding)."""
    return b"[" + b",".join(bodies) + b"]"


@dataclass(frozen=True, slots=True)
class Decoded:
    envelope: Envelope
    payload: Payload


def _with_payload(envelope: Envelope) -> Decoded:
    """``envelope`` and its payload validated by its type's model (KeyError: unknown)."""
    return Decoded(envelope, payload_model(envelope.type).model_validate(envelope.payload))


def decode_one(raw: bytes | dict[str, Any]) -> Decoded:
    try:
        envelope = (
            Envelope.from_bytes(raw) if isinstance(raw, bytes) else Envelope.model_validate(raw)
        )
        return _with_payload(envelope)
    except (ValidationError, ValueError, KeyError) as exc:
        raise PoisonMessageError(repr(exc)) from exc


def decode(message: AbstractIncomingMessage) -> tuple[list[Decoded], list[bytes]]:
    """The events ``message`` carries, in order, and the bodies of those of a batch that
    cannot be decoded. Raises :class:`PoisonMessageError` for a body that is not an
    envelope nor a batch of them."""
    if BATCH_HEADER not in (message.headers or {}):
        return [decode_one(message.body)], []
    try:
        envelopes = _BATCH.validate_json(message.body)
        return [_with_payload(envelope) for envelope in envelopes], []
    except (ValidationError, ValueError, KeyError):
        return _decode_each(message.body)  # find the bad ones: the rest still counts


def _decode_each(body: bytes) -> tuple[list[Decoded], list[bytes]]:
    """A batch envelope by envelope: the events that decode, and the bodies of those that
    do not."""
    try:
        items = json.loads(body)
    except ValueError as exc:
        raise PoisonMessageError(repr(exc)) from exc
    if not isinstance(items, list):
        raise PoisonMessageError("a batch body is not a JSON array")
    decoded, poison = [], []
    for item in items:
        try:
            decoded.append(decode_one(item))
        except PoisonMessageError:
            poison.append(json.dumps(item).encode())
    return decoded, poison


class Settlement:
    """One AMQP message behind ``pending`` deliveries: to be acked once all of them are
    applied, nacked (to be redelivered, and dead-lettered after the queue's delivery
    limit) once all are settled if any of them failed; the inbox makes the applied ones
    no-ops then."""

    def __init__(self, message: AbstractIncomingMessage, pending: int) -> None:
        self.message = message
        self.pending = pending
        self.failed = False

    @property
    def delivery_count(self) -> object:
        return (self.message.headers or {}).get("x-delivery-count", 0)

    def finish(self, ok: bool) -> bool:
        """One of its deliveries was applied (``ok``) or failed; whether it was the last."""
        self.failed |= not ok
        self.pending -= 1
        return self.pending == 0


async def settle(outcome: Awaitable[None]) -> None:
    """Ack, nack or reject; if the delivery's channel is gone (the connection dropped),
    the broker has already taken the message back and will deliver it again."""
    try:
        await outcome
    except Exception as exc:  # any channel error means the same thing here
        log.info("could not settle a delivery (%r): the broker will redeliver it", exc)


def envelopes_of(message: AbstractIncomingMessage) -> list[Envelope]:
    """The envelopes a message carries, in order (for tools and tests that watch a
    queue); raises :class:`PoisonMessageError` for anything else."""
    if BATCH_HEADER not in (message.headers or {}):
        return [Envelope.from_bytes(message.body)]
    return _BATCH.validate_json(message.body)
