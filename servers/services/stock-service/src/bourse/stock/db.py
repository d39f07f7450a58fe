"""stock-service tables."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from bourse.common.db import new_metadata

metadata = new_metadata()

instruments = Table(
    "instruments",
    metadata,
    Column("symbol", String(10), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("tick_size", Numeric, nullable=False),
    Column("lot_size", Numeric, nullable=False),
    Column("status", String(10), nullable=False, server_default="trading"),
    Column("last_price", Numeric),
    Column("last_trade_seq", BigInteger),  # the trade that set last_price
    Column("last_trade_epoch", Uuid()),  # ... and its exchange journal (seqs restart in a new one)
    Column("last_trade_at", DateTime(timezone=True)),
    # Price publication throttle: when market.price.<SYM> last went out, and whether a
    # newer price is waiting for the next slot.
    Column("price_published_at", DateTime(timezone=True)),
    Column("price_pending", Boolean, nullable=False, server_default="false"),
    Column("maker_fee_bps", Integer, nullable=False, server_default="0"),
    Column("taker_fee_bps", Integer, nullable=False, server_default="5"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("status IN ('trading', 'halted')", name="status"),
    CheckConstraint("maker_fee_bps BETWEEN 0 AND 1000", name="maker_fee_bps_range"),
    CheckConstraint("taker_fee_bps BETWEEN 0 AND 1000", name="taker_fee_bps_range"),
)

quotes = Table(
    "quotes",
    metadata,
    Column("symbol", String(10), ForeignKey("instruments.symbol"), primary_key=True),
    Column("bid", Numeric),
    Column("bid_size", Numeric),
    Column("ask", Numeric),
    Column("ask_size", Numeric),
    Column("last", Numeric),
    Column("last_size", Numeric),
    Column("last_seq", BigInteger),
    Column("ts", DateTime(timezone=True)),
    Column("book", JSONB, nullable=False, server_default=text("""'{"bids": [], "asks": []}'""")),
    Column("book_seq", BigInteger),
    Column("book_epoch", Uuid()),
)

trades = Table(
    "trades",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("trade_id", Text, nullable=False, unique=True),
    Column("symbol", String(10), nullable=False),
    Column("price", Numeric, nullable=False),
    Column("qty", Numeric, nullable=False),
    Column("taker_side", String(4), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("ts", DateTime(timezone=True), nullable=False),
)
# The tape, newest first (and a total order for its cursor).
Index(
    "ix_trades_symbol_ts",
    trades.c.symbol,
    trades.c.ts.desc(),
    trades.c.seq.desc(),
    trades.c.id.desc(),
)

candles = Table(
    "candles",
    metadata,
    Column("symbol", String(10), primary_key=True),
    Column("interval", String(3), primary_key=True),
    Column("bucket_start", DateTime(timezone=True), primary_key=True),
    Column("open", Numeric, nullable=False),
    Column("high", Numeric, nullable=False),
    Column("low", Numeric, nullable=False),
    Column("close", Numeric, nullable=False),
    Column("volume", Numeric, nullable=False),
    Column("trades", Integer, nullable=False),
    Column("open_seq", BigInteger, nullable=False),  # which trade opened / closed the bucket
    Column("close_seq", BigInteger, nullable=False),
    Column("open_epoch", Uuid()),  # their exchange journals (bourse.stock.domain.candles)
    Column("close_epoch", Uuid()),
)
