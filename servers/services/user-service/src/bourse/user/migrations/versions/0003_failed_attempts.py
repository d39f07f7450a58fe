"""failed attempts: the per-account login throttle (bourse.user.throttle)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 19:45:30.384777
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_attempts",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope", "subject", name=op.f("pk_failed_attempts")),
    )
    op.create_index(
        "ix_failed_attempts_last_failure_at", "failed_attempts", ["last_failure_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_failed_attempts_last_failure_at", table_name="failed_attempts")
    op.drop_table("failed_attempts")
