"""Snapshots: a book (or a whole engine) to bytes and back.

Format: a magic line, then zlib-compressed JSON of the books' plain state. JSON rather than
pickle so a snapshot file can never execute code when loaded, and stays inspectable.
"""

import json
import zlib
from typing import Any

from bourse.matching.book import OrderBook

MAGIC = b"BOURSE-BOOKS/1\n"


class SnapshotError(ValueError):
    """The bytes are not a snapshot this version can read."""


def dumps_books(books: list[OrderBook]) -> bytes:
    state = [book.to_state() for book in books]
    return MAGIC + zlib.compress(json.dumps(state, separators=(",", ":")).encode())


def loads_books(data: bytes) -> list[OrderBook]:
    if not data.startswith(MAGIC):
        raise SnapshotError("not a Bourse book snapshot (bad magic)")
    try:
        state: list[dict[str, Any]] = json.loads(zlib.decompress(data[len(MAGIC) :]))
    except (zlib.error, ValueError) as exc:
        raise SnapshotError(f"corrupt snapshot: {exc}") from exc
    return [OrderBook.from_state(book) for book in state]


def dumps(book: OrderBook) -> bytes:
    return dumps_books([book])


def loads(data: bytes) -> OrderBook:
    (book,) = loads_books(data)
    return book
