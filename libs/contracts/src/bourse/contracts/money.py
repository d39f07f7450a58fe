"""Decimal fields that travel as JSON strings ("101.25"), never as floats.

Serialized in canonical form: no exponent, no trailing zeros ("1012.5", "100", "0"), so the
same amount always reads the same whatever scale a NUMERIC column gave it.

:data:`DecimalIn` is the one way a request carries a decimal (a price, a quantity, an
amount): a JSON string in plain ASCII decimal notation (``"-12.5"``, ``"100"``), or a JSON
number read exactly (the body parsed with ``parse_float=Decimal``: see
``bourse.common.body``). Exponents are allowed in JSON numbers only (``1e2`` is a number;
``"1e2"`` is not plain notation). Every value is finite and bounded: at most
:data:`MAX_INTEGER_DIGITS` digits before the point and :data:`MAX_DECIMAL_PLACES` after it
(trailing zeros do not count), so no later arithmetic can overflow. Refused: booleans,
``"1_000"``, non-ASCII digits (Arabic-Indic, fullwidth), ``"+1"``, ``" 1 "``, ``"1."``,
``".5"``, NaN and Infinity. Sign and range rules (positive, a multiple of the tick) are the
domain's.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Final

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

MAX_INTEGER_DIGITS: Final = 20
MAX_DECIMAL_PLACES: Final = 12
_MAX_TEXT: Final = 64  # longer strings are refused before any parsing
DECIMAL_PATTERN: Final = r"^-?[0-9]+(\.[0-9]+)?$"
_PLAIN = re.compile(DECIMAL_PATTERN, re.ASCII)
_LIMIT = Decimal(10) ** MAX_INTEGER_DIGITS
_HINT = 'a decimal number in plain notation, e.g. "100.25"'


def canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


DecimalStr = Annotated[Decimal, PlainSerializer(canonical, return_type=str)]


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def bounded(value: Decimal) -> Decimal:
    """``value`` if it is finite and within the bounds of :data:`DecimalIn`, without an
    exponent (``1E+2`` becomes ``100``); ``ValueError`` otherwise."""
    if not value.is_finite():
        raise ValueError(f"must be a finite number: {_HINT}")
    if abs(value) >= _LIMIT:
        raise ValueError(f"must have at most {MAX_INTEGER_DIGITS} digits before the point")
    if _places(value) > MAX_DECIMAL_PLACES:
        raise ValueError(f"must have at most {MAX_DECIMAL_PLACES} decimal places")
    exponent = value.as_tuple().exponent
    return value.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else value


def _from_text(value: str) -> Decimal:
    if len(value) > _MAX_TEXT or not _PLAIN.fullmatch(value):
        raise ValueError(f"must be {_HINT} (ASCII digits, no exponent, sign or separator)")
    return Decimal(value)


def _exact(value: float) -> Decimal:
    """A float (a body parsed without ``parse_float=Decimal``) as the decimal it was
    written as: its shortest repr, never its binary expansion."""
    try:
        return Decimal(repr(value))
    except InvalidOperation as exc:  # pragma: no cover (repr of a float always parses)
        raise ValueError(_HINT) from exc


def parse_decimal(value: object) -> Decimal:
    """The decimal of a request field; ``ValueError`` (a 422 ``validation_error``) when it
    is not one :data:`DecimalIn` accepts."""
    if isinstance(value, bool):
        raise ValueError(f"must be {_HINT}, not a boolean")
    if isinstance(value, str):
        return bounded(_from_text(value))
    if isinstance(value, int | Decimal):
        return bounded(Decimal(value))
    if isinstance(value, float):
        return bounded(_exact(value))
    raise ValueError(f"must be {_HINT}")


_JSON_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": DECIMAL_PATTERN, "maxLength": _MAX_TEXT},
        {"type": "number"},
    ],
    "examples": ["100.25"],
}
DecimalIn = Annotated[Decimal, BeforeValidator(parse_decimal), WithJsonSchema(_JSON_SCHEMA)]
