"""trade updates: each user's numbered stream for /ws/trade-updates, and its counter

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 22:39:57
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_index("ix_trade_updates_created_at", table_name="trade_updates")
    op.drop_table("trade_updates")
    op.drop_table("trade_update_counters")
