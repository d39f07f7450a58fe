"""Percentiles, by nearest rank, as every benchmark reports them."""

from collections.abc import Sequence
from typing import TypeVar

Value = TypeVar("Value", int, float)


def nearest_rank(ordered: Sequence[Value], fraction: float) -> Value:
    """The value at ``fraction`` (0.99: p99) of an already sorted, non-empty sequence."""
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def percentile(values: list[float], fraction: float, empty: float = 0.0) -> float:
    """The value at ``fraction`` of ``values`` (in any order); ``empty`` when there is none."""
    return nearest_rank(sorted(values), fraction) if values else empty
