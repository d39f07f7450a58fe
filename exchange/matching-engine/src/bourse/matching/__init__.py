"""bourse.matching: a deterministic price-time priority matching engine (pure Python, no I/O).

Same commands in, same events out: a book is rebuilt by replaying its journal, or by
restoring a snapshot and replaying the commands after it.
"""

from bourse.matching.book import OrderBook, crossed
from bourse.matching.commands import apply_command
from bourse.matching.engine import MatchingEngine, UnknownSymbolError
from bourse.matching.instrument import InstrumentSpec, OffIncrementError
from bourse.matching.snapshot import SnapshotError
from bourse.matching.types import Event, event_to_dict

__all__ = [
    "Event",
    "InstrumentSpec",
    "MatchingEngine",
    "OffIncrementError",
    "OrderBook",
    "SnapshotError",
    "UnknownSymbolError",
    "apply_command",
    "crossed",
    "event_to_dict",
]
