"""The peer-engine adapters of the benchmark still drive their engines correctly.

Each peer is optional (dependency group ``bench-peers``); its test skips when the
peer's module does not import.
"""

import importlib
from collections.abc import Callable

import pytest

from bourse.bench.engine.adapters import EngineAdapter
from bourse.bench.engine.peers import (
    CythonOrderBookAdapter,
    LightMatchingEngineAdapter,
    LiquibookAdapter,
    PyOrderBookAdapter,
    available_peers,
)

PEERS: list[tuple[str, Callable[[], EngineAdapter]]] = [
    ("pyorderbook", PyOrderBookAdapter),
    ("lightmatchingengine.lightmatchingengine", LightMatchingEngineAdapter),
    ("cython_orderbook", CythonOrderBookAdapter),
    ("liquibook", LiquibookAdapter),
]


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


@pytest.fixture(params=PEERS, ids=[module.split(".")[0] for module, _ in PEERS])
def adapter(request: pytest.FixtureRequest) -> EngineAdapter:
    module: str = request.param[0]
    factory: Callable[[], EngineAdapter] = request.param[1]
    if not _importable(module):
        pytest.skip(f"peer {module!r} is not installed")
    return factory()


def test_scenario(adapter: EngineAdapter) -> None:
    a = adapter
    assert a.resting_count() == 0

    # Two bids, two asks, nothing crosses.
    a.limit(1, True, 100, 10)
    a.limit(2, True, 101, 5)
    a.limit(3, False, 105, 7)
    a.limit(4, False, 106, 3)
    assert a.resting_count() == 4

    # IOC sell 8 @100: fills all of #2 (5 @101) and 3 of #1; nothing of it rests.
    a.ioc(5, False, 100, 8)
    assert a.resting_count() == 3

    # Non-crossing IOC: dropped whole.
    a.ioc(6, True, 104, 5)
    assert a.resting_count() == 3

    # IOC buy 10 @105: fills #3 (7); its remainder of 3 does not reach 106 and is dropped.
    a.ioc(7, True, 105, 10)
    assert a.resting_count() == 2  # #1 (7 left) and #4

    # Cancels; unknown and finished ids are no-ops.
    a.cancel(4)
    assert a.resting_count() == 1
    a.cancel(4)
    a.cancel(3)
    a.cancel(999)
    a.cancel(5)
    assert a.resting_count() == 1

    # Replace the partly filled #1 (7 left @100) by 4 @99.
    a.replace(1, 99, 4)
    assert a.resting_count() == 1
    # A sell @100 no longer crosses it: rests.
    a.limit(8, False, 100, 1)
    assert a.resting_count() == 2
    a.cancel(8)
    assert a.resting_count() == 1
    # A sell of exactly 4 @99 fills it completely (7 left would leave it resting).
    a.limit(9, False, 99, 4)
    assert a.resting_count() == 0

    # Replacing a filled or unknown order does not resurrect it.
    a.replace(1, 100, 5)
    a.replace(2, 100, 5)
    a.replace(999, 100, 5)
    assert a.resting_count() == 0

    # A crossing limit: fills what crosses, rests the remainder.
    a.limit(10, True, 101, 5)
    a.limit(11, False, 100, 8)
    assert a.resting_count() == 1  # #11 with 3 left @100
    a.ioc(12, True, 100, 3)
    assert a.resting_count() == 0

    # Replace that crosses on arrival matches like a new limit order.
    a.limit(13, True, 95, 2)
    a.limit(14, False, 97, 2)
    a.replace(13, 97, 2)
    assert a.resting_count() == 0


def test_price_time_priority(adapter: EngineAdapter) -> None:
    a = adapter
    a.limit(1, False, 100, 5)
    a.limit(2, False, 100, 5)
    a.limit(3, False, 99, 5)
    a.ioc(4, True, 100, 10)  # takes #3 (better price), then #1 (earlier)
    assert a.resting_count() == 1
    a.cancel(2)  # so #2 is the one left
    assert a.resting_count() == 0


def test_available_peers_lists_only_importable() -> None:
    expected = [cls for module, cls in PEERS if _importable(module)]
    factories = available_peers()
    assert factories == expected
    names = [factory().name for factory in factories]
    assert len(set(names)) == len(names)
