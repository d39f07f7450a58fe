"""equity bucket index: old equity history is thinned by age

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_equity_samples_bucket", "equity_samples", ["bucket"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_equity_samples_bucket", table_name="equity_samples")
