"""Request and response bodies of /api/v1/notifications (API.md, Notifications)."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bourse.common.pagination import Page
from bourse.notifications.schemas import Notification

DeliveryStatus = Literal["pending", "delivered", "dead", "canceled"]


class NotificationPage(Page[Notification]):
    unread_count: int


class ReadAllResult(BaseModel):
    marked: int = Field(description="how many notifications this call marked read")
    unread_count: int


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(min_length=8, max_length=2000)]
    secret: Annotated[
        str | None, StringConstraints(min_length=16, max_length=200, pattern=r"^[\x21-\x7e]+$")
    ] = Field(default=None, description="generated when absent; returned only by this call")


class Webhook(BaseModel):
    url: str
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    secret: str = Field(description="shown once: keep it to verify X-Bourse-Signature")


class Delivery(BaseModel):
    id: UUID
    notification_id: UUID
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


DeliveryPage = Page[Delivery]
