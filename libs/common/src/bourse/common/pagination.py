"""Cursor pagination: ``limit`` (default 50, max 500) and ``after`` (an opaque cursor);
replies are ``{"items": [...], "next": cursor | null}``."""

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar, overload
from uuid import UUID

from fastapi import Query
from pydantic import BaseModel

from bourse.common.errors import Problem

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500, description="page size")]
After = Annotated[str | None, Query(max_length=200, description="cursor from `next`")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next: str | None


def invalid_cursor() -> Problem:
    return Problem(422, "invalid_cursor", "the `after` cursor is not valid")


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise invalid_cursor() from exc


@overload
def cursor_id(cursor: str) -> UUID: ...
@overload
def cursor_id(cursor: None) -> None: ...
def cursor_id(cursor: str | None) -> UUID | None:
    """The row id a cursor of :func:`page_of` names (the page goes on after it); no
    cursor, no id."""
    if cursor is None:
        return None
    try:
        return UUID(decode_cursor(cursor))
    except ValueError as exc:
        raise invalid_cursor() from exc


def page_of(rows: Sequence[Any], limit: int) -> Page[Any]:
    """``rows`` (fetched with ``limit + 1``, by ``id``): the first ``limit`` of them and
    the cursor of the next page (the last one's ``id``), or ``None`` when there is none."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return Page[Any](items=items, next=encode_cursor(str(items[-1].id)) if more else None)
