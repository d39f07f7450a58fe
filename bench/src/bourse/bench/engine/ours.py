"""Our engine behind the benchmark protocol, plus direct calls for the timed loop."""

from collections.abc import Callable, Sequence
from typing import Any

from bourse.bench.engine.workloads import CANCEL, IOC, LIMIT, Op
from bourse.matching.book import OrderBook

Call = tuple[Callable[..., Any], tuple[Any, ...]]


class OursAdapter:
    name = "bourse.matching"

    def __init__(self) -> None:
        self.book = OrderBook("BENCH")

    def limit(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        self.book.limit(oid, "buy" if is_buy else "sell", price, qty)

    def ioc(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        self.book.limit(oid, "buy" if is_buy else "sell", price, qty, "ioc")

    def cancel(self, oid: int) -> None:
        self.book.cancel(oid)

    def replace(self, oid: int, price: int, qty: int) -> None:
        self.book.replace(oid, price, qty)

    def resting_count(self) -> int:
        return self.book.resting_count

    def compile(self, ops: Sequence[Op]) -> list[Call]:
        """Bind each operation to the book method it calls, as a client would call it."""
        book = self.book
        calls: list[Call] = []
        for code, oid, is_buy, price, qty in ops:
            side = "buy" if is_buy else "sell"
            if code == LIMIT:
                calls.append((book.limit, (oid, side, price, qty)))
            elif code == IOC:
                calls.append((book.limit, (oid, side, price, qty, "ioc")))
            elif code == CANCEL:
                calls.append((book.cancel, (oid,)))
            else:
                calls.append((book.replace, (oid, price, qty)))
        return calls
