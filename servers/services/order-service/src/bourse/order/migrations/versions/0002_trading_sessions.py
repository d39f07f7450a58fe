"""trading sessions: the closed trading dates (day orders expired)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 08:41:33
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
        "sessions",
        sa.Column("trading_date", sa.Date(), nullable=False),
        sa.Column(
            "closed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("trading_date", name=op.f("pk_sessions")),
    )


def downgrade() -> None:
    op.drop_table("sessions")
