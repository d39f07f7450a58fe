"""The outbox and the inbox. Each service's Alembic migrations create them (the metadata
here is included in the service's ``target_metadata``)."""

from sqlalchemy import Column, DateTime, Index, LargeBinary, String, Table, func, text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from bourse.common.db import new_metadata

metadata = new_metadata()

outbox = Table(
    "outbox",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),  # UUIDv7 = message id: FIFO order
    Column("exchange", String(100), nullable=False),
    Column("routing_key", String(255), nullable=False),
    Column("message_type", String(100), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

inbox = Table(
    "inbox",
    metadata,
    Column("consumer", String(100), primary_key=True),
    Column("message_id", UUID(as_uuid=True), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_inbox_processed_at", "processed_at"),
)

OUTBOX_CHANNEL = "bourse_outbox"

# Run by migrations after the tables: wakes the relay when a transaction with outbox rows
# commits (NOTIFY is delivered at commit), with no extra round trip for the writer.
OUTBOX_NOTIFY_DDL = (
    f"""
    CREATE OR REPLACE FUNCTION bourse_outbox_notify() RETURNS trigger AS $$
    BEGIN
        PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    """
    CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION bourse_outbox_notify()
    """,
)
