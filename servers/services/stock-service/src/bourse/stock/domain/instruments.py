"""Instruments: their trading status (the symbol format is bourse.contracts.symbols)."""

from typing import Literal

Status = Literal["trading", "halted"]
