"""The envelope every message travels in."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from bourse.contracts.ids import uuid7


def new_message_id() -> UUID:
    return uuid7()


class Envelope(BaseModel):
    """``message_id`` makes consumers idempotent; correlation follows a flow end to end,
    causation names the message that caused this one."""

    model_config = ConfigDict(frozen=True)

    message_id: UUID = Field(default_factory=new_message_id)
    type: str
    version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str | None = None
    causation_id: str | None = None
    payload: dict[str, Any]

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> "Envelope":
        return cls.model_validate_json(body)
