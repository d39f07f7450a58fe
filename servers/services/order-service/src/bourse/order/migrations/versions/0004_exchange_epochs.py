"""exchange epochs: the journals each shard ran, the journal an order was reported by,
and trade ids long enough to carry the journal's epoch

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 19:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "exchange_epochs",
        sa.Column("epoch", sa.Uuid(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column(
            "seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("epoch", name=op.f("pk_exchange_epochs")),
    )
    op.create_index("ix_exchange_epochs_shard", "exchange_epochs", ["shard"], unique=False)
    op.add_column("orders", sa.Column("exchange_epoch", sa.Uuid(), nullable=True))
    op.alter_column(
        "fills",
        "trade_id",
        existing_type=sa.String(length=64),
        type_=sa.String(length=128),
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column(
        "fills",
        "trade_id",
        existing_type=sa.String(length=128),
        type_=sa.String(length=64),
        existing_nullable=False,
    )
    op.drop_column("orders", "exchange_epoch")
    op.drop_index("ix_exchange_epochs_shard", table_name="exchange_epochs")
    op.drop_table("exchange_epochs")
