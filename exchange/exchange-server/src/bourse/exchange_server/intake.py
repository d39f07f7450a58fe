"""Deliveries -> what the shard journals: commands (from the shard's queue) and
instrument specs (from the market feed)."""

from dataclasses import dataclass
from uuid import UUID

from pydantic import ValidationError

from bourse.contracts import Envelope
from bourse.contracts.events import ExchangeCommand, InstrumentChanged
from bourse.matching import InstrumentSpec


class PoisonMessageError(ValueError):
    """A body that no retry can make into a valid message."""


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


def decode_command(body: bytes) -> CommandIn:
    envelope = _envelope(body, ExchangeCommand.TYPE)
    try:
        command = ExchangeCommand.model_validate(envelope.payload)
    except ValidationError as exc:
        raise PoisonMessageError(f"invalid exchange command: {exc!r}") from exc
    return CommandIn(envelope.message_id, envelope.correlation_id, command)


def decode_instrument(body: bytes) -> InstrumentIn:
    """An instrument announcement whose tick and lot sizes the engine can use."""
    envelope = _envelope(body, InstrumentChanged.TYPE)
    try:
        instrument = InstrumentChanged.model_validate(envelope.payload)
        InstrumentSpec(instrument.symbol, instrument.tick_size, instrument.lot_size)
    except (ValidationError, ValueError) as exc:
        raise PoisonMessageError(f"invalid instrument: {exc!r}") from exc
    return InstrumentIn(envelope.message_id, instrument)
