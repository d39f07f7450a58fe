"""The watchlist rules alone (bourse.trader.domain.watchlists): pure, no database."""

import pytest

from bourse.trader.domain.errors import DomainError
from bourse.trader.domain.watchlists import (
    MAX_SYMBOLS,
    MAX_WATCHLISTS,
    may_add_watchlist,
    symbol_list,
    watchlist_name,
    with_symbol,
    without_symbol,
)


def code_of(error: pytest.ExceptionInfo[DomainError]) -> str:
    return error.value.code


def test_names_are_trimmed_and_1_to_64_characters() -> None:
    assert watchlist_name("  Tech  ") == "Tech"
    assert watchlist_name("x" * 64) == "x" * 64
    for bad in ("", "   ", "x" * 65):
        with pytest.raises(DomainError) as error:
            watchlist_name(bad)
        assert code_of(error) == "invalid_watchlist_name"


def test_a_symbol_list_keeps_its_order_and_refuses_repeats() -> None:
    assert symbol_list(["MSFT", "AAPL", "BRK.B"]) == ["MSFT", "AAPL", "BRK.B"]
    with pytest.raises(DomainError) as error:
        symbol_list(["AAPL", "MSFT", "AAPL"])
    assert code_of(error) == "duplicate_symbol"
    assert len(symbol_list([f"S{i}" for i in range(MAX_SYMBOLS)])) == MAX_SYMBOLS
    with pytest.raises(DomainError) as error:
        symbol_list([f"S{i}" for i in range(MAX_SYMBOLS + 1)])
    assert code_of(error) == "too_many_symbols"


def test_adding_appends_once_and_removing_reports_absence() -> None:
    assert with_symbol(["A", "B"], "C") == ["A", "B", "C"]
    assert with_symbol(["A", "B"], "A") == ["A", "B"]
    full = [f"S{i}" for i in range(MAX_SYMBOLS)]
    assert with_symbol(full, "S0") == full  # already there: no limit to break
    with pytest.raises(DomainError) as error:
        with_symbol(full, "NEW")
    assert code_of(error) == "too_many_symbols"
    assert without_symbol(["A", "B", "C"], "B") == ["A", "C"]
    assert without_symbol(["A"], "B") is None


def test_at_most_50_watchlists() -> None:
    may_add_watchlist(MAX_WATCHLISTS - 1)
    with pytest.raises(DomainError) as error:
        may_add_watchlist(MAX_WATCHLISTS)
    assert code_of(error) == "too_many_watchlists"
