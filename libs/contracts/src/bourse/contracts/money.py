"""Decimal fields that travel as JSON strings ("101.25"), never as floats.

Serialized in canonical form: no exponent, no trailing zeros ("1012.5", "100", "0"), so the
same amount always reads the same whatever scale a NUMERIC column gave it.
"""

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer


def canonical(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


DecimalStr = Annotated[Decimal, PlainSerializer(canonical, return_type=str)]
