"""The interface every benchmarked engine is driven through.

The driver feeds the same pre-generated operations to every adapter. Prices are integer
ticks, quantities integer lots, order ids positive integers, assigned by the workload.
"""

from typing import Protocol


class EngineAdapter(Protocol):
    name: str

    def limit(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        """A good-till-cancelled limit order: match what crosses, rest the remainder."""

    def ioc(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        """An immediate-or-cancel limit order: match what crosses, drop the remainder."""

    def cancel(self, oid: int) -> None:
        """Cancel a resting order; an unknown or already-finished id is a no-op."""

    def replace(self, oid: int, price: int, qty: int) -> None:
        """Move a resting order to a new price / quantity; unknown id is a no-op."""

    def resting_count(self) -> int:
        """Number of orders resting in the book (used to check workloads stay in shape)."""
