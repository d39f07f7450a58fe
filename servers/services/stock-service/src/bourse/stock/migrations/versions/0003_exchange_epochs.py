"""exchange epochs: the journal of the last trade, the book and each candle's open and
close (seqs start again in a new exchange journal)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 20:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("instruments", "last_trade_epoch"),
    ("quotes", "book_epoch"),
    ("candles", "open_epoch"),
    ("candles", "close_epoch"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        op.add_column(table, sa.Column(column, sa.Uuid(), nullable=True))


def downgrade() -> None:
    for table, column in reversed(COLUMNS):
        op.drop_column(table, column)
