"""order-service tables: instruments, orders, fills, exchange journals, closed sessions,
and each user's numbered stream of trade updates (/ws/trade-updates) with its counter."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    Numeric,
    Sequence,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    func,
    text,
)

from bourse.common.db import MONEY, PRICE, QUANTITY, new_metadata

metadata = new_metadata()

engine_ids = Sequence("engine_id_seq", metadata=metadata)

instruments = Table(
    "instruments",
    metadata,
    Column("symbol", String(16), primary_key=True),
    Column("tick_size", PRICE, nullable=False),
    Column("lot_size", QUANTITY, nullable=False),
    Column("status", String(16), nullable=False),
    Column("last_price", PRICE),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("maker_fee_bps", Integer, nullable=False, server_default="0"),
    Column("taker_fee_bps", Integer, nullable=False, server_default="5"),
)

orders = Table(
    "orders",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), nullable=False),
    Column("client_order_id", String(64)),
    Column("symbol", String(16), nullable=False),
    Column("side", String(4), nullable=False),
    Column("type", String(16), nullable=False),
    Column("time_in_force", String(4), nullable=False),
    Column("qty", QUANTITY),
    Column("notional", MONEY),
    Column("limit_price", PRICE),
    Column("stop_price", PRICE),  # a trailing stop's: the current one (engine "trailed")
    Column("trail_price", PRICE),  # trailing stops: the distance as a price ...
    Column("trail_percent", Numeric(6, 2)),  # ... or as a percent of the water mark
    Column("hwm", PRICE),  # the water mark its stop follows (high for a sell, low for a buy)
    Column("filled_qty", QUANTITY, nullable=False, server_default="0"),
    Column("filled_notional", MONEY, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),
    Column("reject_reason", String(64)),
    Column("engine_id", BigInteger, nullable=False, unique=True),
    Column("reserve_cash", MONEY, nullable=False),
    Column("reserve_qty", QUANTITY, nullable=False),
    Column("sent_to_exchange", Boolean, nullable=False, server_default="false"),
    Column("cancel_requested", Boolean, nullable=False, server_default="false"),
    # A replace (PATCH): the old order points at its replacement; the replacement is held
    # (no risk request yet) until the old one is final, then shrinks by the fills the old
    # one got since the replace (replace_base_filled: its filled qty at that moment).
    Column("replaces", Uuid()),
    Column("replaced_by", Uuid()),
    Column("replace_base_filled", QUANTITY),
    Column("held", Boolean, nullable=False, server_default="false"),
    # The exchange journal (epoch) that last reported on the order: if that journal is
    # replaced, the order was on a book that no longer exists (bourse.order.epochs).
    Column("exchange_epoch", Uuid()),
    # The service that asked for the order (auto), None for a client's own: its events
    # are routed order.<status>.<requested_by>, so the requester binds only its orders.
    Column("requested_by", String(32)),
    # Order classes (bourse.order.domain.order_classes): a leg points at its parent entry
    # and at its one-cancels-other sibling; the parent keeps the exits it asked for.
    Column("order_class", String(8), nullable=False, server_default="simple"),
    Column("parent_id", Uuid()),
    Column("leg", String(12)),  # take_profit | stop_loss
    Column("sibling_id", Uuid()),
    Column("take_profit_limit", PRICE),
    Column("stop_loss_stop", PRICE),
    Column("stop_loss_limit", PRICE),
    # A held order waiting for this one to end (a triggered stop-loss for its take-profit,
    # a position's close for the cancels of its open orders): released when all are final.
    Column("release_to", Uuid()),
    # A take-profit waits for the entry's fill it covers to be settled (trader-service's
    # account.updated.fill) before asking for its risk check: the shares must be there.
    Column("after_fill", Uuid()),
    # trader-service released what this ended sell still held (holding.released): an
    # order waiting for it (release_to) needs those shares back before its risk check.
    Column("shares_released", Boolean, nullable=False, server_default="false"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("filled_at", DateTime(timezone=True)),
    Column("canceled_at", DateTime(timezone=True)),
    UniqueConstraint("user_id", "client_order_id", name="uq_orders_user_client_order_id"),
    Index("ix_orders_user_id_id", "user_id", "id"),
    Index("ix_orders_parent_id", "parent_id"),
    Index("ix_orders_release_to", "release_to"),
    Index("ix_orders_after_fill", "after_fill"),
    Index(
        "ix_orders_held_stop_loss",
        "symbol",
        postgresql_where=text("leg = 'stop_loss' AND held"),
    ),
)

fills = Table(
    "fills",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("order_id", Uuid(), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("symbol", String(16), nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty", QUANTITY, nullable=False),
    Column("price", PRICE, nullable=False),
    Column("liquidity", String(5), nullable=False),
    Column("fee", MONEY, nullable=False, server_default="0"),
    Column("trade_id", String(128), nullable=False),  # bourse.contracts.events.trade_key
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("trade_id", "order_id", name="uq_fills_trade_id_order_id"),
    Index("ix_fills_user_id_id", "user_id", "id"),
    Index("ix_fills_order_id", "order_id"),
)


# Every exchange journal (epoch) seen per shard; the one not retired is the shard's
# current journal. Its reports are applied; a retired journal's are not.
exchange_epochs = Table(
    "exchange_epochs",
    metadata,
    Column("epoch", Uuid(), primary_key=True),
    Column("shard", Integer, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("retired_at", DateTime(timezone=True)),
    Index("ix_exchange_epochs_shard", "shard"),
)


# One row per trading day whose session has closed: claimed once (its primary key) by
# whichever instance sees the close first, in the transaction that expires the day orders.
sessions = Table(
    "sessions",
    metadata,
    Column("trading_date", Date, primary_key=True),
    Column("closed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# /ws/trade-updates: every change of a user's orders, numbered 1, 2, 3 ... per user
# (``seq``), kept for ``trade_updates_retention_days`` for ``?since=`` replays. ``message``
# is the WebSocket message exactly as sent (JSON text: sent as stored, never re-encoded).
trade_updates = Table(
    "trade_updates",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("event", String(20), nullable=False),
    Column("message", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("seq > 0", name="seq_positive"),
    Index("ix_trade_updates_created_at", "created_at"),  # pruning
)

# The last seq given to each user: the stream's position even after old rows are pruned.
trade_update_counters = Table(
    "trade_update_counters",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)
