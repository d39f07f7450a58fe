"""portfolio-service tables. Money and quantities are NUMERIC (Decimal), times UTC."""

from sqlalchemy import Column, DateTime, Index, Numeric, String, Table, Uuid, func, text

from bourse.common.db import new_metadata

metadata = new_metadata()


def _now(name: str) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


def _zero(name: str) -> Column[object]:
    return Column(name, Numeric, nullable=False, server_default=text("0"))


positions = Table(
    "positions",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("symbol", String(20), primary_key=True),
    _zero("qty"),  # signed: negative would be short (see domain.positions)
    _zero("cost"),  # the cost basis of the open quantity, in total (signed like qty)
    _zero("realized_pl"),
    _now("updated_at"),
)

# One row per fill ever applied: the fill id makes applying a fill twice impossible,
# whatever message carried it.
fills = Table(
    "fills",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("order_id", Uuid(), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty", Numeric, nullable=False),
    Column("price", Numeric, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    _now("applied_at"),
)

# Shares transferred in, once per deposit id, with the cost basis they were booked at.
securities_deposits = Table(
    "securities_deposits",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("qty", Numeric, nullable=False),
    Column("cost_price", Numeric, nullable=False),
    _now("applied_at"),
)

# The trading account's cash as of the newest AccountUpdated seen (by occurred_at).
accounts = Table(
    "accounts",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    _zero("cash"),
    _zero("reserved_cash"),
    Column("as_of", DateTime(timezone=True), nullable=False),
    _now("updated_at"),
)

# The last price of every symbol (newest trade time wins).
prices = Table(
    "prices",
    metadata,
    Column("symbol", String(20), primary_key=True),
    Column("price", Numeric, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
)

# One sample per user and slot; the primary key is what lets every instance try to take
# a slot (INSERT ... ON CONFLICT DO NOTHING): the first one wins.
equity_samples = Table(
    "equity_samples",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("bucket", DateTime(timezone=True), primary_key=True),
    Column("cash", Numeric, nullable=False),
    Column("market_value", Numeric, nullable=False),
    Column("equity", Numeric, nullable=False),
    Index("ix_equity_samples_bucket", "bucket"),  # thinning old history by age
)
