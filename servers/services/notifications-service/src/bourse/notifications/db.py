"""notifications-service tables: the per-user inbox, each user's webhook, and the durable
queue of webhook deliveries (worked with ``FOR UPDATE SKIP LOCKED``)."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from bourse.common.db import new_metadata

metadata = new_metadata()


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated_at() -> Column[object]:
    return Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now())


notifications = Table(
    "notifications",
    metadata,
    Column("id", Uuid(), primary_key=True),  # UUIDv7: newest first = id descending
    Column("user_id", Uuid(), nullable=False),
    Column("type", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # What caused it (order id + status, run id, alert id, ...): the same source never
    # makes a second notification, whatever message id it arrives under.
    Column("source_key", String(200), nullable=False),
    _created_at(),
    Column("read_at", DateTime(timezone=True)),
    UniqueConstraint("user_id", "source_key", name="uq_notifications_user_id_source_key"),
    Index("ix_notifications_user_id_id", "user_id", "id"),
    Index(
        "ix_notifications_unread",
        "user_id",
        "id",
        postgresql_where=text("read_at IS NULL"),
    ),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),
    _created_at(),
    _updated_at(),
)

DELIVERY_STATUSES = ("pending", "delivered", "dead", "canceled")

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column(
        "notification_id",
        Uuid(),
        ForeignKey("notifications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("status", String(10), nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_status_code", Integer),
    Column("last_error", String(500)),
    _created_at(),
    _updated_at(),
    Column("delivered_at", DateTime(timezone=True)),
    CheckConstraint("status IN ('pending', 'delivered', 'dead', 'canceled')", name="status"),
    CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    UniqueConstraint("notification_id", name="uq_webhook_deliveries_notification_id"),
    Index("ix_webhook_deliveries_user_id_id", "user_id", "id"),
    Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        postgresql_where=text("status = 'pending'"),
    ),
)
