"""Watchlists: a user's named, ordered lists of symbols to follow (Alpaca's model). Pure
rules; whether a symbol is a listed instrument is the store's question."""

from collections.abc import Sequence
from typing import Final

from bourse.trader.domain.errors import DomainError

MAX_NAME_LENGTH: Final = 64
MAX_SYMBOLS: Final = 200
MAX_WATCHLISTS: Final = 50


def watchlist_name(name: str) -> str:
    """The name without surrounding blanks: 1 to 64 characters."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise DomainError(
            "invalid_watchlist_name", f"name must be 1 to {MAX_NAME_LENGTH} characters"
        )
    return name


def symbol_list(symbols: Sequence[str]) -> list[str]:
    """A whole list of symbols, in the caller's order: each once, at most 200."""
    seen: set[str] = set()
    for symbol in symbols:
        if symbol in seen:
            raise DomainError("duplicate_symbol", f"{symbol} appears more than once")
        seen.add(symbol)
    _within_limit(len(symbols))
    return list(symbols)


def with_symbol(symbols: Sequence[str], symbol: str) -> list[str]:
    """``symbols`` with ``symbol`` appended; unchanged when it is already there."""
    if symbol in symbols:
        return list(symbols)
    _within_limit(len(symbols) + 1)
    return [*symbols, symbol]


def without_symbol(symbols: Sequence[str], symbol: str) -> list[str] | None:
    """``symbols`` without ``symbol``; None when it is not in the list."""
    if symbol not in symbols:
        return None
    return [s for s in symbols if s != symbol]


def may_add_watchlist(count: int) -> None:
    """Refuse a new list when the user already has the most allowed."""
    if count >= MAX_WATCHLISTS:
        raise DomainError(
            "too_many_watchlists", f"a user may have at most {MAX_WATCHLISTS} watchlists"
        )


def _within_limit(count: int) -> None:
    if count > MAX_SYMBOLS:
        raise DomainError("too_many_symbols", f"a watchlist may hold at most {MAX_SYMBOLS} symbols")
