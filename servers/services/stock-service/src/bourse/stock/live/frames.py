"""The /ws/market messages (API.md, Market data), each encoded once as the text frame that
every subscribed client is sent (clients share the string)."""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bourse.contracts.events import TradeExecuted
from bourse.contracts.money import canonical
from bourse.stock.domain.book import Level
from bourse.stock.domain.candles import Candle
from bourse.stock.domain.live import BAR_INTERVAL, BookUpdate, Top

Frame = str


def encode(message: Mapping[str, Any]) -> Frame:
    return json.dumps(message, separators=(",", ":"))


def utc_text(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z")


def decimal_text(value: Decimal | None) -> str | None:
    return None if value is None else canonical(value)


def levels(side: Iterable[Level]) -> list[list[str]]:
    return [[canonical(price), canonical(qty)] for price, qty in side]


def trade(event: TradeExecuted) -> Frame:
    return encode(
        {
            "type": "trade",
            "symbol": event.symbol,
            "price": canonical(event.price),
            "qty": canonical(event.qty),
            "taker_side": event.taker_side,
            "ts": utc_text(event.ts),
            "seq": event.seq,
        }
    )


def quote(symbol: str, top: Top, ts: datetime | None) -> Frame:
    bid, ask = top.bid or (None, None), top.ask or (None, None)
    return encode(
        {
            "type": "quote",
            "symbol": symbol,
            "bid": decimal_text(bid[0]),
            "bid_size": decimal_text(bid[1]),
            "ask": decimal_text(ask[0]),
            "ask_size": decimal_text(ask[1]),
            "ts": utc_text(ts),
        }
    )


def book_snapshot(symbol: str, bids: list[Level], asks: list[Level], seq: int) -> Frame:
    message = {"type": "book_snapshot", "symbol": symbol}
    return encode(message | {"bids": levels(bids), "asks": levels(asks), "seq": seq})


def book_update(symbol: str, update: BookUpdate) -> Frame:
    message = {"type": "book_update", "symbol": symbol}
    sides = {"bids": levels(update.bids), "asks": levels(update.asks)}
    return encode(message | sides | {"seq": update.seq})


def bar(symbol: str, candle: Candle) -> Frame:
    return encode(
        {
            "type": "bar",
            "symbol": symbol,
            "interval": BAR_INTERVAL,
            "start": utc_text(candle.start),
            "open": canonical(candle.open),
            "high": canonical(candle.high),
            "low": canonical(candle.low),
            "close": canonical(candle.close),
            "volume": canonical(candle.volume),
        }
    )


def subscription(channels: Mapping[str, Iterable[str]]) -> Frame:
    return encode({"type": "subscription", **{c: sorted(s) for c, s in channels.items()}})


def error(code: str, detail: str) -> Frame:
    return encode({"type": "error", "code": code, "detail": detail})
