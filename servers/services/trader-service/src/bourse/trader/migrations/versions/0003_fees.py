"""fees: a fill's fee is a ledger entry of its own (activity type 'fee')

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 02:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = "type IN ('deposit', 'withdrawal', 'securities_deposit', 'fill', 'release')"
AFTER = "type IN ('deposit', 'withdrawal', 'securities_deposit', 'fill', 'fee', 'release')"


def _replace_check(condition: str) -> None:
    op.drop_constraint("ck_activities_type", "activities", type_="check")
    op.create_check_constraint(op.f("ck_activities_type"), "activities", condition)


def upgrade() -> None:
    _replace_check(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM activities WHERE type = 'fee'")
    _replace_check(BEFORE)
