"""Dependencies shared by the routers."""

from typing import Annotated

from fastapi import Depends, Path

from bourse.contracts.symbols import parse_symbol
from bourse.stock.handlers.http import unknown_symbol


async def _symbol(symbol: Annotated[str, Path()]) -> str:
    """Upper-cased; a string that cannot be a symbol is unknown (never sent to the DB)."""
    try:
        return parse_symbol(symbol)
    except ValueError:
        raise unknown_symbol(symbol) from None


Symbol = Annotated[str, Depends(_symbol)]
