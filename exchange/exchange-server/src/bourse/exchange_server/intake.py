"""Deliveries -> what the shard journals: commands (from the shard's queue) and
instrument specs (from the market feed)."""

from dataclasses import dataclass
from uuid import UUID

from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from bourse.contracts import Envelope
from bourse.contracts.events import ExchangeCommand, InstrumentChanged
from bourse.matching import InstrumentSpec
from bourse.messaging import wire
from bourse.messaging.wire import PoisonMessageError


@dataclass(frozen=True, slots=True)
class CommandIn:
    message_id: UUID
    correlation_id: str | None
    command: ExchangeCommand


@dataclass(frozen=True, slots=True)
class InstrumentIn:
    message_id: UUID
    instrument: InstrumentChanged


Inbound = CommandIn | InstrumentIn


def _envelope(body: bytes, expected_type: str) -> Envelope:
    try:
        envelope = Envelope.from_bytes(body)
    except (ValidationError, ValueError) as exc:
        raise PoisonMessageError(f"not an envelope: {exc!r}") from exc
    if envelope.type != expected_type:
        raise PoisonMessageError(f"unexpected message type {envelope.type!r}")
    return envelope


def decode_commands(message: AbstractIncomingMessage) -> tuple[list[CommandIn], list[bytes]]:
    """The commands a delivery carries (one, or a batch of one symbol's, in order), and
    the bodies of the items of a batch that are not valid commands. Raises
    :class:`PoisonMessageError` for a delivery that is neither."""
    try:
        decoded, poison = wire.decode(message)
    except PoisonMessageError as exc:
        raise PoisonMessageError(f"not an envelope: {exc}") from exc
    commands = []
    for item in decoded:
        envelope, payload = item.envelope, item.payload
        if not isinstance(payload, ExchangeCommand):
            if not poison and len(decoded) == 1:
                raise PoisonMessageError(f"unexpected message type {envelope.type!r}")
            poison.append(envelope.to_bytes())
            continue
        commands.append(CommandIn(envelope.message_id, envelope.correlation_id, payload))
    return commands, poison


def decode_instrument(body: bytes) -> InstrumentIn:
    """An instrument announcement whose tick and lot sizes the engine can use."""
    envelope = _envelope(body, InstrumentChanged.TYPE)
    try:
        instrument = InstrumentChanged.model_validate(envelope.payload)
        InstrumentSpec(instrument.symbol, instrument.tick_size, instrument.lot_size)
    except (ValidationError, ValueError) as exc:
        raise PoisonMessageError(f"invalid instrument: {exc!r}") from exc
    return InstrumentIn(envelope.message_id, instrument)
