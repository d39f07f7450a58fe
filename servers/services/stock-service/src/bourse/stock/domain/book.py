"""Order book depth and the top of book."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from bourse.contracts.events import BookChanged
from bourse.contracts.times import as_utc
from bourse.stock.domain.candles import Position, position

Level = tuple[Decimal, Decimal]  # (price, qty)
MAX_DEPTH = 50


@dataclass(frozen=True)
class Depth:
    bids: list[Level]  # best (highest) first
    asks: list[Level]  # best (lowest) first

    @classmethod
    def of(cls, bids: Sequence[Level], asks: Sequence[Level]) -> "Depth":
        """Sorted best first, empty levels dropped, at most ``MAX_DEPTH`` per side."""
        live_bids = [level for level in bids if level[1] > 0]
        live_asks = [level for level in asks if level[1] > 0]
        return cls(
            sorted(live_bids, key=lambda level: level[0], reverse=True)[:MAX_DEPTH],
            sorted(live_asks, key=lambda level: level[0])[:MAX_DEPTH],
        )

    @property
    def best_bid(self) -> Level | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> Level | None:
        return self.asks[0] if self.asks else None

    def to_json(self) -> dict[str, list[list[str]]]:
        return {"bids": _levels_json(self.bids), "asks": _levels_json(self.asks)}

    @classmethod
    def from_json(cls, stored: dict[str, list[list[str]]], depth: int | None = None) -> "Depth":
        """The stored book, or its best ``depth`` levels a side (only those converted)."""
        bids, asks = stored.get("bids", []), stored.get("asks", [])
        return cls(_levels(bids[:depth]), _levels(asks[:depth]))


def is_newer(seq: int, stored_seq: int | None) -> bool:
    """Whether an update with ``seq`` supersedes what is stored (``None``: nothing yet)."""
    return stored_seq is None or seq > stored_seq


def _levels_json(levels: Sequence[Level]) -> list[list[str]]:
    return [[format(price, "f"), format(qty, "f")] for price, qty in levels]


def _levels(stored: Sequence[Sequence[str]]) -> list[Level]:
    return [(Decimal(price), Decimal(qty)) for price, qty in stored]


@dataclass(frozen=True)
class Newest:
    """The book a symbol's quotes row ends with, and the newest time of those applied."""

    book: BookChanged
    ts: datetime


def apply_books(stored: Mapping[str, Position], books: Sequence[BookChanged]) -> dict[str, Newest]:
    """Apply ``books`` in order, each only if newer (by journal epoch, then seq) than the
    one held: the symbols whose book changed, with what they end with."""
    held = dict(stored)
    out: dict[str, Newest] = {}
    for book in books:
        at = position(book.epoch, book.seq)
        if book.symbol in held and at <= held[book.symbol]:
            continue
        held[book.symbol] = at
        before = out.get(book.symbol)
        ts = as_utc(book.ts) if before is None else max(before.ts, as_utc(book.ts))
        out[book.symbol] = Newest(book, ts)
    return out
