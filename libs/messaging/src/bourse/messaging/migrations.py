"""The shared tables every service's first migration creates: outbox, inbox (and its
NOTIFY trigger) and the Idempotency-Key store. Explicit, versioned DDL rather than
``metadata.create_all``: a later change to these tables is a new step here and a new
revision in each service, never a silent change of what revision 0001 creates."""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from bourse.messaging.tables import OUTBOX_NOTIFY_DDL


def _created_at() -> sa.Column[object]:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def create_shared_tables_v1() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("exchange", sa.String(length=100), nullable=False),
        sa.Column("routing_key", sa.String(length=255), nullable=False),
        sa.Column("message_type", sa.String(length=100), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column(
            "headers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        _created_at(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.UUID(), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("consumer", "message_id", name=op.f("pk_inbox")),
    )
    op.create_index("ix_inbox_processed_at", "inbox", ["processed_at"], unique=False)
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        _created_at(),
        sa.PrimaryKeyConstraint("user_id", "key", name=op.f("pk_idempotency_keys")),
    )
    for statement in OUTBOX_NOTIFY_DDL:
        op.execute(statement)


def drop_shared_tables_v1() -> None:
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS bourse_outbox_notify()")
    op.drop_table("idempotency_keys")
    op.drop_index("ix_inbox_processed_at", table_name="inbox")
    op.drop_table("inbox")
    op.drop_table("outbox")
