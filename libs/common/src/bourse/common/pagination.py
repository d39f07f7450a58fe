"""Cursor pagination: ``limit`` (default 50, max 500) and ``after`` (an opaque cursor);
replies are ``{"items": [...], "next": cursor | null}``."""

import base64
import binascii
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from bourse.common.errors import Problem

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
After = Annotated[str | None, Query(max_length=200, description="cursor from `next`")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Problem(422, "invalid_cursor", "the `after` cursor is not valid") from exc
