"""make up's rule for the exchange's journal against the databases (bourse.stack.journals):
a journal the databases never traded with, or none where they traded with one, is a
mismatch; a fresh start, the journal they trade with, or data from before epochs is not."""

from bourse.stack.journals import EPOCH_FILE, LEGACY, Recorded, journal_mismatch

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
    from bourse.exchange_server.epoch import EPOCH_FILE as EXCHANGES  # noqa: PLC0415

    assert EPOCH_FILE == EXCHANGES
