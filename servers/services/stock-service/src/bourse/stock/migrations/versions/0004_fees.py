"""fees: each instrument's maker and taker fee, in basis points

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FEES = (("maker_fee_bps", "0"), ("taker_fee_bps", "5"))


def upgrade() -> None:
    for column, default in FEES:
        op.add_column(
            "instruments", sa.Column(column, sa.Integer(), nullable=False, server_default=default)
        )
        op.create_check_constraint(
            op.f(f"ck_instruments_{column}_range"),
            "instruments",
            sa.text(f"{column} BETWEEN 0 AND 1000"),
        )


def downgrade() -> None:
    for column, _ in reversed(FEES):
        op.drop_constraint(f"ck_instruments_{column}_range", "instruments", type_="check")
        op.drop_column("instruments", column)
