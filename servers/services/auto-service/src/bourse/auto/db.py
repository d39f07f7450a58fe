"""auto-service tables. Quantities NUMERIC(24,8), cash NUMERIC(20,4), prices
NUMERIC(20,8); times timestamptz (UTC); ids UUIDv7 (newest first = id descending)."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from bourse.common.db import LEDGER_MONEY, LEDGER_PRICE, QUANTITY, new_metadata

metadata = new_metadata()

SYMBOL = String(20)


def _time(name: str, *, default: bool = False) -> Column[object]:
    if default:
        return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())
    return Column(name, DateTime(timezone=True))


recurring_orders = Table(
    "recurring_orders",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column("symbol", SYMBOL, nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty", QUANTITY),
    Column("notional", LEDGER_MONEY),
    Column("schedule", JSONB, nullable=False),  # Schedule.public()
    Column("anchor_date", Date),  # biweekly: the local date of the first run
    Column("start_at", DateTime(timezone=True), nullable=False),
    _time("end_at"),
    Column("status", String(10), nullable=False),
    _time("next_run_at"),
    _time("last_run_at"),
    _time("created_at", default=True),
    _time("updated_at", default=True),
    CheckConstraint("side IN ('buy', 'sell')", name="side"),
    CheckConstraint("status IN ('active', 'paused', 'completed', 'deleted')", name="status"),
    CheckConstraint("(qty IS NULL) <> (notional IS NULL)", name="qty_or_notional"),
    CheckConstraint("status = 'active' OR next_run_at IS NULL", name="next_run_when_active"),
    Index("ix_recurring_orders_user_id_id", "user_id", "id"),
    # The scheduler's scan: active orders by due time, nothing else.
    Index(
        "ix_recurring_orders_due",
        "next_run_at",
        postgresql_where=text("status = 'active'"),
    ),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("recurring_order_id", Uuid(), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("scheduled_for", DateTime(timezone=True), nullable=False),
    Column("client_order_id", String(64), nullable=False),
    Column("symbol", SYMBOL, nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty", QUANTITY),
    Column("notional", LEDGER_MONEY),
    Column("status", String(10), nullable=False),  # placed -> succeeded | failed
    Column("order_id", Uuid()),
    Column("order_status", String(20)),
    Column("filled_qty", QUANTITY),
    Column("filled_avg_price", LEDGER_PRICE),
    Column("reason", String(100)),
    _time("created_at", default=True),
    _time("finished_at"),
    CheckConstraint("status IN ('placed', 'succeeded', 'failed')", name="status"),
    # One run per slot, one order per run: the last line of defence against buying twice.
    UniqueConstraint("recurring_order_id", "scheduled_for", name="uq_runs_slot"),
    UniqueConstraint("client_order_id", name="uq_runs_client_order_id"),
    Index("ix_runs_recurring_order_id_id", "recurring_order_id", "id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column("symbol", SYMBOL, nullable=False),
    Column("condition", String(16), nullable=False),
    Column("price", LEDGER_PRICE, nullable=False),
    Column("action", String(8), nullable=False),
    Column("order", JSONB(none_as_null=True)),  # OrderSpec.public() for action "order"
    Column("status", String(10), nullable=False),
    _time("expires_at"),
    _time("triggered_at"),
    Column("triggered_price", LEDGER_PRICE),
    Column("client_order_id", String(64)),
    _time("created_at", default=True),
    _time("updated_at", default=True),
    CheckConstraint(
        "condition IN ('above', 'below', 'crosses_above', 'crosses_below')", name="condition"
    ),
    CheckConstraint("action IN ('notify', 'order')", name="action"),
    CheckConstraint("status IN ('active', 'triggered', 'expired', 'deleted')", name="status"),
    CheckConstraint("(action = 'order') = (\"order\" IS NOT NULL)", name="order_with_action"),
    # A price evaluates only the active alerts of its symbol.
    Index("ix_alerts_symbol_status", "symbol", "status"),
    Index("ix_alerts_user_id_id", "user_id", "id"),
    Index("ix_alerts_expiry", "expires_at", postgresql_where=text("status = 'active'")),
)

# The last price seen per symbol: a crossing compares two consecutive prices.
prices = Table(
    "prices",
    metadata,
    Column("symbol", SYMBOL, primary_key=True),
    Column("price", LEDGER_PRICE, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
    _time("updated_at", default=True),
)

# What auto-service knows of the instruments (instrument.changed events, or stock-service's
# list on a first start): a recurring order or an alert is for a listed symbol, in lots.
instruments = Table(
    "instruments",
    metadata,
    Column("symbol", SYMBOL, primary_key=True),
    Column("tick_size", LEDGER_PRICE, nullable=False),
    Column("lot_size", QUANTITY, nullable=False),
    Column("status", String(16), nullable=False),
    _time("updated_at", default=True),
)
