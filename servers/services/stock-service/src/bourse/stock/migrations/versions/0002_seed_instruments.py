"""seed instruments

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED = (
    ("AAPL", "Apple Inc."),
    ("MSFT", "Microsoft Corp."),
    ("GOOGL", "Alphabet Inc."),
    ("AMZN", "Amazon.com Inc."),
    ("TSLA", "Tesla Inc."),
    ("NVDA", "NVIDIA Corp."),
)


def upgrade() -> None:
    # Idempotent: an instrument created by hand before this ran keeps its settings.
    for symbol, name in SEED:
        params = {"symbol": symbol, "name": name}
        op.execute(
            sa.text(
                "INSERT INTO instruments (symbol, name, tick_size, lot_size)"
                " VALUES (:symbol, :name, 0.01, 1) ON CONFLICT DO NOTHING"
            ).bindparams(**params)
        )
        op.execute(
            sa.text(
                "INSERT INTO quotes (symbol) VALUES (:symbol) ON CONFLICT DO NOTHING"
            ).bindparams(symbol=symbol)
        )


def downgrade() -> None:
    symbols = [symbol for symbol, _ in SEED]
    for table in ("quotes", "instruments"):
        op.execute(
            sa.text(f"DELETE FROM {table} WHERE symbol = ANY(:symbols)").bindparams(symbols=symbols)
        )
