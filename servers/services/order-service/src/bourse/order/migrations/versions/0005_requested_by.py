"""orders requested by another service (auto): their events are routed
order.<status>.<requested_by>, so the requester binds the outcomes of its own orders only

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:01:11
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("requested_by", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "requested_by")
