"""refresh families: one lockable row per login session

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 19:41:08.079436

Existing families are backfilled from their tokens. Tokens were only ever revoked a
whole family at a time, so a family with any revoked token is revoked: that also ends
the sessions that slipped through the old refresh race with a live child token.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO refresh_families (id, user_id, revoked_at, created_at)
SELECT family_id, (array_agg(user_id))[1], max(revoked_at), min(created_at)
FROM refresh_tokens
GROUP BY family_id
"""


def upgrade() -> None:
    op.create_table(
        "refresh_families",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_families")),
    )
    op.execute(BACKFILL)
    op.create_foreign_key(
        op.f("fk_refresh_tokens_family_id_refresh_families"),
        "refresh_tokens",
        "refresh_families",
        ["family_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_refresh_tokens_family_id_refresh_families"), "refresh_tokens", type_="foreignkey"
    )
    op.drop_table("refresh_families")
