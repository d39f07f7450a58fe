"""fees: each instrument's maker and taker fee (basis points), and each fill's fee

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 02:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FEES = (("maker_fee_bps", "0"), ("taker_fee_bps", "5"))


def upgrade() -> None:
    for column, default in FEES:
        op.add_column(
            "instruments", sa.Column(column, sa.Integer(), nullable=False, server_default=default)
        )
    op.add_column(
        "fills",
        sa.Column(
            "fee", sa.Numeric(precision=28, scale=8), nullable=False, server_default=sa.text("0")
        ),
    )


def downgrade() -> None:
    op.drop_column("fills", "fee")
    for column, _ in reversed(FEES):
        op.drop_column("instruments", column)
