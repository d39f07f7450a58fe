"""trailing stops: their distance (trail_price or trail_percent) and water mark (hwm)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("trail_price", sa.Numeric(24, 8), nullable=True))
    op.add_column("orders", sa.Column("trail_percent", sa.Numeric(6, 2), nullable=True))
    op.add_column("orders", sa.Column("hwm", sa.Numeric(24, 8), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "hwm")
    op.drop_column("orders", "trail_percent")
    op.drop_column("orders", "trail_price")
