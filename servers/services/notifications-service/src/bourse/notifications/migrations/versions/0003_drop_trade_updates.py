"""drop trade updates: /ws/trade-updates moved to order-service, which writes each update
in the transaction that changes the order (its migration 0009 creates the tables). The
stored history is not copied across databases (pre-release: no production data), so
every user's seqs start from 1 in order-service.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_trade_updates_created_at", table_name="trade_updates")
    op.drop_table("trade_updates")
    op.drop_table("trade_update_counters")


def downgrade() -> None:  # the tables come back empty, as 0002 made them
    op.create_table(
        "trade_update_counters",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_trade_update_counters")),
    )
    op.create_table(
        "trade_updates",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("seq > 0", name=op.f("ck_trade_updates_seq_positive")),
        sa.PrimaryKeyConstraint("user_id", "seq", name=op.f("pk_trade_updates")),
    )
    op.create_index("ix_trade_updates_created_at", "trade_updates", ["created_at"], unique=False)
