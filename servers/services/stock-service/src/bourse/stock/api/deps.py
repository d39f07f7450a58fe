"""Dependencies shared by the routers."""

from typing import Annotated

from fastapi import Depends, Path

from bourse.common.errors import Problem
from bourse.contracts.symbols import parse_symbol
from bourse.stock.handlers.http import unknown_symbol
from bourse.stock.queries import MAX_SNAPSHOTS


async def path_symbol(symbol: Annotated[str, Path()]) -> str:
    """Upper-cased; a string that cannot be a symbol is unknown (never sent to the DB)."""
    try:
        return parse_symbol(symbol)
    except ValueError:
        raise unknown_symbol(symbol) from None


Symbol = Annotated[str, Depends(path_symbol)]


def parse_symbols(listed: str) -> list[str]:
    """``AAPL,msft`` -> ["AAPL", "MSFT"] (in order, once each); a part that cannot be a
    symbol is unknown (404), none or too many is 422."""
    parts = [part.strip() for part in listed.split(",") if part.strip()]
    if not parts:
        raise Problem(422, "invalid_symbols", "symbols: at least one symbol")
    if len(parts) > MAX_SNAPSHOTS:
        raise Problem(422, "invalid_symbols", f"symbols: at most {MAX_SNAPSHOTS}")
    symbols: dict[str, None] = {}
    for part in parts:
        try:
            symbols[parse_symbol(part)] = None
        except ValueError:
            raise unknown_symbol(part) from None
    return list(symbols)
