"""trader-service tables. Money is NUMERIC(20,4), quantities NUMERIC(24,8); the CHECK
constraints are the last line of defence: no balance or holding can ever go negative,
and nothing can be held beyond what is there."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from bourse.common.db import LEDGER_MONEY, LEDGER_PRICE, QUANTITY, new_metadata

metadata = new_metadata()

ZERO = text("0")


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    ]


accounts = Table(
    "accounts",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("currency", String(3), nullable=False, server_default=text("'USD'")),
    Column("cash", LEDGER_MONEY, nullable=False, server_default=ZERO),
    Column("reserved_cash", LEDGER_MONEY, nullable=False, server_default=ZERO),
    *_timestamps(),
    CheckConstraint("cash >= 0", name="cash_non_negative"),
    CheckConstraint("reserved_cash >= 0", name="reserved_cash_non_negative"),
    CheckConstraint("reserved_cash <= cash", name="reserved_cash_covered"),
)

holdings = Table(
    "holdings",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("symbol", String(20), primary_key=True),
    Column("qty", QUANTITY, nullable=False, server_default=ZERO),
    Column("reserved_qty", QUANTITY, nullable=False, server_default=ZERO),
    *_timestamps(),
    CheckConstraint("qty >= 0", name="qty_non_negative"),
    CheckConstraint("reserved_qty >= 0", name="reserved_qty_non_negative"),
    CheckConstraint("reserved_qty <= qty", name="reserved_qty_covered"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("order_id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("side", String(4), nullable=False),
    Column("cash_remaining", LEDGER_MONEY, nullable=False, server_default=ZERO),
    Column("qty_remaining", QUANTITY, nullable=False, server_default=ZERO),
    Column("filled_qty_applied", QUANTITY, nullable=False, server_default=ZERO),
    Column("final_filled_qty", QUANTITY),
    Column("status", String(10), nullable=False),
    Column("reject_reason", String(100)),
    *_timestamps(),
    CheckConstraint("side IN ('buy', 'sell')", name="side"),
    CheckConstraint("status IN ('active', 'closed', 'rejected')", name="status"),
    CheckConstraint("cash_remaining >= 0", name="cash_remaining_non_negative"),
    CheckConstraint("qty_remaining >= 0", name="qty_remaining_non_negative"),
    Index("ix_reservations_user_id", "user_id"),
)

activities = Table(
    "activities",
    metadata,
    Column("id", Uuid(), primary_key=True),  # UUIDv7: newest first = id descending
    Column("user_id", Uuid(), nullable=False),
    Column("type", String(30), nullable=False),
    Column("amount", LEDGER_MONEY),  # the cash effect, signed (release: buying power returned)
    Column("symbol", String(20)),
    Column("qty", QUANTITY),
    Column("price", LEDGER_PRICE),
    Column("side", String(4)),
    Column("order_id", Uuid()),
    Column("fill_id", Uuid()),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint(
        "type IN ('deposit', 'withdrawal', 'securities_deposit', 'fill', 'fee', 'release')",
        name="type",
    ),
    UniqueConstraint("order_id", "fill_id", name="uq_activities_order_id_fill_id"),
    Index("ix_activities_user_id_id", "user_id", "id"),
)

instruments = Table(
    "instruments",
    metadata,
    Column("symbol", String(20), primary_key=True),
    Column("lot_size", QUANTITY, nullable=False),
    Column("tick_size", LEDGER_PRICE, nullable=False),
    Column("status", String(10), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("lot_size > 0", name="lot_size_positive"),
)

watchlists = Table(
    "watchlists",
    metadata,
    Column("id", Uuid(), primary_key=True),  # UUIDv7: creation order = id order
    Column("user_id", Uuid(), nullable=False),
    Column("name", String(64), nullable=False),
    Column("symbols", ARRAY(String(20)), nullable=False, server_default=text("'{}'")),
    *_timestamps(),
    UniqueConstraint("user_id", "name", name="uq_watchlists_user_id_name"),
    CheckConstraint("cardinality(symbols) <= 200", name="symbols_at_most_200"),
    Index("ix_watchlists_user_id_id", "user_id", "id"),
)
