"""instruments: what auto-service knows of the listed symbols (lot and tick sizes)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 19:45:00
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
        "instruments",
        sa.Column("symbol", sa.String(length=20), nullable=False),
        sa.Column("tick_size", sa.Numeric(precision=20, scale=8), nullable=False),
        sa.Column("lot_size", sa.Numeric(precision=24, scale=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("symbol", name=op.f("pk_instruments")),
    )


def downgrade() -> None:
    op.drop_table("instruments")
