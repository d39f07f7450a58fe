"""Dependencies shared by the routers."""

import re
from typing import Annotated

from fastapi import Depends, Path

from bourse.stock.domain.instruments import SYMBOL_PATTERN
from bourse.stock.handlers import unknown_symbol

_SYMBOL = re.compile(SYMBOL_PATTERN)


async def _symbol(symbol: Annotated[str, Path()]) -> str:
    """Upper-cased; a string that cannot be a symbol is unknown (never sent to the DB)."""
    symbol = symbol.upper()
    if _SYMBOL.fullmatch(symbol) is None:
        raise unknown_symbol(symbol)
    return symbol


Symbol = Annotated[str, Depends(_symbol)]
