"""order classes (bracket, oco, oto): legs point at their parent entry and their
one-cancels-other sibling; the parent keeps its exit spec. ``release_to``: an order a
held order waits for (a triggered stop-loss waits for its take-profit's cancel, a close
waits for the cancels of the position's open orders); ``after_fill``: the entry's fill
a take-profit waits for trader-service to settle before it asks for its risk check;
``shares_released``: trader-service gave back what an ended sell still held.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRICE = sa.Numeric(24, 8)


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column("order_class", sa.String(length=8), nullable=False, server_default="simple"),
    )
    op.add_column("orders", sa.Column("parent_id", sa.Uuid(), nullable=True))
    op.add_column("orders", sa.Column("leg", sa.String(length=12), nullable=True))
    op.add_column("orders", sa.Column("sibling_id", sa.Uuid(), nullable=True))
    op.add_column("orders", sa.Column("take_profit_limit", PRICE, nullable=True))
    op.add_column("orders", sa.Column("stop_loss_stop", PRICE, nullable=True))
    op.add_column("orders", sa.Column("stop_loss_limit", PRICE, nullable=True))
    op.add_column("orders", sa.Column("release_to", sa.Uuid(), nullable=True))
    op.add_column("orders", sa.Column("after_fill", sa.Uuid(), nullable=True))
    op.add_column(
        "orders",
        sa.Column("shares_released", sa.Boolean(), nullable=False, server_default="false"),
    )
    op.create_index("ix_orders_parent_id", "orders", ["parent_id"])
    op.create_index("ix_orders_release_to", "orders", ["release_to"])
    op.create_index("ix_orders_after_fill", "orders", ["after_fill"])
    op.create_index(
        "ix_orders_held_stop_loss",
        "orders",
        ["symbol"],
        postgresql_where=sa.text("leg = 'stop_loss' AND held"),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_held_stop_loss", table_name="orders")
    op.drop_index("ix_orders_after_fill", table_name="orders")
    op.drop_index("ix_orders_release_to", table_name="orders")
    op.drop_index("ix_orders_parent_id", table_name="orders")
    for name in (
        "shares_released", "after_fill", "release_to", "stop_loss_limit", "stop_loss_stop",
        "take_profit_limit", "sibling_id", "leg", "parent_id", "order_class",
    ):  # fmt: skip
        op.drop_column("orders", name)
