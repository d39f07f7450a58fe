"""The one symbol format of every service: a letter, then up to 9 letters, digits or dots
("AAPL", "BRK.B"); at most :data:`MAX_LENGTH` characters, as stock-service lists them.

A request that refers to a symbol may spell it in lower case: :data:`Symbol` reads it in
upper case ("brk.b" is "BRK.B"). One that names a new instrument gives its canonical
spelling (:data:`CanonicalSymbol`). Only ASCII is accepted. Whether the instrument exists is each
service's check (it answers 422 ``unknown_symbol``)."""

import re
from typing import Annotated, Final

from pydantic import BeforeValidator, StringConstraints, WithJsonSchema

MAX_LENGTH: Final = 10
SYMBOL_PATTERN: Final = rf"^[A-Z][A-Z0-9.]{{0,{MAX_LENGTH - 1}}}$"
# One symbol in any case, unanchored: a part of a longer pattern (a list of symbols).
ANY_CASE_SYMBOL: Final = rf"[A-Za-z][A-Za-z0-9.]{{0,{MAX_LENGTH - 1}}}"
_ANY_CASE: Final = rf"^{ANY_CASE_SYMBOL}$"
_SYMBOL = re.compile(_ANY_CASE, re.ASCII)


def parse_symbol(value: object) -> str:
    """``value`` in upper case if it is a symbol; ``ValueError`` (422) otherwise."""
    if not isinstance(value, str) or not _SYMBOL.fullmatch(value):
        raise ValueError(
            f"must be a symbol: a letter, then letters, digits or dots (at most {MAX_LENGTH})"
        )
    return value.upper()


def is_symbol(value: str) -> bool:
    """Whether ``value`` is a symbol in its canonical (upper case) spelling."""
    return re.fullmatch(SYMBOL_PATTERN, value, re.ASCII) is not None


Symbol = Annotated[
    str,
    BeforeValidator(parse_symbol),
    WithJsonSchema({"type": "string", "pattern": _ANY_CASE, "examples": ["AAPL"]}),
]
CanonicalSymbol = Annotated[str, StringConstraints(pattern=SYMBOL_PATTERN)]
