"""The matching engine: one order book per symbol, commands routed by symbol."""

from collections.abc import Iterable, Mapping
from typing import Any

from bourse.matching.book import OrderBook
from bourse.matching.commands import apply_command
from bourse.matching.instrument import InstrumentSpec
from bourse.matching.snapshot import dumps_books, loads_books
from bourse.matching.types import Event


class UnknownSymbolError(KeyError):
    """A command for a symbol this engine does not trade."""


class MatchingEngine:
    def __init__(self, instruments: Iterable[InstrumentSpec] = ()) -> None:
        self.instruments: dict[str, InstrumentSpec] = {}
        self.books: dict[str, OrderBook] = {}
        for spec in instruments:
            self.add_instrument(spec)

    def add_instrument(self, spec: InstrumentSpec) -> OrderBook:
        self.instruments[spec.symbol] = spec
        return self.books.setdefault(spec.symbol, OrderBook(spec.symbol))

    def book(self, symbol: str) -> OrderBook:
        try:
            return self.books[symbol]
        except KeyError:
            raise UnknownSymbolError(symbol) from None

    def apply(self, symbol: str, command: Mapping[str, Any]) -> list[Event]:
        """Apply a contract command to the book of ``symbol``."""
        return apply_command(self.book(symbol), command)

    def end_of_day(self) -> dict[str, list[Event]]:
        return {symbol: book.end_of_day() for symbol, book in self.books.items()}

    def cancel_owner(self, owner: str) -> dict[str, list[Event]]:
        """Mass cancel of one owner's orders in every book."""
        return {symbol: book.cancel_owner(owner) for symbol, book in self.books.items()}

    def snapshot(self) -> bytes:
        return dumps_books(list(self.books.values()))

    def restore(self, data: bytes) -> None:
        """Replace every book with the snapshot's; instruments must already be known."""
        for book in loads_books(data):
            if book.symbol not in self.instruments:
                raise UnknownSymbolError(book.symbol)
            self.books[book.symbol] = book
