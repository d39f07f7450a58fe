"""Instruments: symbols and their trading status."""

from typing import Final, Literal

Status = Literal["trading", "halted"]
# Upper-case letters, digits and dots, starting with a letter, at most 10 characters.
SYMBOL_PATTERN: Final = r"^[A-Z][A-Z0-9.]{0,9}$"
