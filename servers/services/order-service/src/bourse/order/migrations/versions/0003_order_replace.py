"""order replace: an order points at its replacement, which waits (held) for it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 09:07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("replaces", sa.Uuid(), nullable=True))
    op.add_column("orders", sa.Column("replaced_by", sa.Uuid(), nullable=True))
    op.add_column(
        "orders",
        sa.Column("replace_base_filled", sa.Numeric(precision=24, scale=8), nullable=True),
    )
    op.add_column("orders", sa.Column("held", sa.Boolean(), server_default="false", nullable=False))


def downgrade() -> None:
    op.drop_column("orders", "held")
    op.drop_column("orders", "replace_base_filled")
    op.drop_column("orders", "replaced_by")
    op.drop_column("orders", "replaces")
