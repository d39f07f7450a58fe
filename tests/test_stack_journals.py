"""make up's rule for the exchange's journal against the databases (scripts/stack.py):
a journal the databases never traded with, or none where they traded with one, is a
mismatch; a fresh start, the journal they trade with, or data from before epochs is not."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _stack() -> ModuleType:
    """scripts/stack.py (not a package: loaded from its file, as tests/e2e does)."""
    path = Path(__file__).resolve().parents[1] / "scripts" / "stack.py"
    spec = importlib.util.spec_from_file_location("bourse_stack_journals", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


stack = _stack()
LEGACY, Recorded, journal_mismatch = stack.LEGACY, stack.Recorded, stack.journal_mismatch

CURRENT, RETIRED, OTHER = "01a2-current", "01a2-retired", "01a2-other"
TRADED = Recorded({0: CURRENT}, {RETIRED}, traded=True)
FRESH = Recorded({}, set(), traded=False)


def test_what_belongs_together() -> None:
    assert journal_mismatch(0, CURRENT, TRADED) is None
    assert journal_mismatch(0, None, FRESH) is None  # first make up ever
    assert journal_mismatch(0, LEGACY, TRADED) is None  # cannot tell: adopted as found
    assert journal_mismatch(1, OTHER, Recorded({}, set(), traded=True)) is None  # pre-epoch DB


def test_what_does_not() -> None:
    missing = journal_mismatch(0, None, TRADED)
    assert missing is not None and CURRENT in missing and "no journal" in missing
    other = journal_mismatch(0, OTHER, TRADED)
    assert other is not None and OTHER in other
    retired = journal_mismatch(0, RETIRED, TRADED)
    assert retired is not None and "retired" in retired
    stray = journal_mismatch(0, OTHER, FRESH)  # the databases were dropped, var/ was not
    assert stray is not None and "never traded" in stray


def test_the_epoch_file_is_the_exchanges() -> None:
    from bourse.exchange_server.epoch import EPOCH_FILE  # noqa: PLC0415

    assert stack.EPOCH_FILE == EPOCH_FILE
