"""The wire shape of a notification: the same object in the list API, in a WebSocket
push and in a webhook body."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel


class Notification(BaseModel):
    id: UUID
    type: str
    title: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class Pushed(BaseModel):
    """One new notification, as a WebSocket message and as a webhook body."""

    type: Literal["notification"] = "notification"
    notification: Notification


def to_notification(row: Any) -> Notification:
    return Notification.model_validate(row, from_attributes=True)


def pushed_json(row: Any) -> dict[str, Any]:
    return Pushed(notification=to_notification(row)).model_dump(mode="json")
