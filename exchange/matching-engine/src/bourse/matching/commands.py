"""Contract commands (plain mappings, as in the replay stream and on the wire) -> a book.

{"op":"new","id","side","type","price"?,"stop_price"?,"qty","tif"?,"owner"?,
 "post_only"?,"budget"?}
{"op":"cancel","id"} · {"op":"replace","id","price"?,"qty"?} · {"op":"end_of_day"}
{"op":"cancel_owner","owner"}   (mass cancel; an extension of the replay contract)
{"op":"new","type":"trailing_stop","trail"|"trail_bps",...}   (an extension: trailing.py,
 exchange/matching-engine/README.md)
"""

from collections.abc import Mapping
from typing import Any

from bourse.matching.book import OrderBook
from bourse.matching.types import INVALID_COMMAND, REJECTED, Event


def apply_command(book: OrderBook, cmd: Mapping[str, Any]) -> list[Event]:
    """Apply one command; anything malformed is answered by a rejected event, never raised."""
    op = cmd.get("op")
    oid = cmd.get("id")
    if op == "new" and type(oid) is int:
        return book.new(
            oid,
            cmd.get("side"),  # type: ignore[arg-type]
            cmd.get("type"),  # type: ignore[arg-type]
            cmd.get("qty"),  # type: ignore[arg-type]
            price=cmd.get("price"),
            stop_price=cmd.get("stop_price"),
            tif=cmd.get("tif", "gtc"),
            owner=cmd.get("owner"),
            post_only=cmd.get("post_only") is True,
            budget=cmd.get("budget"),
            trail=cmd.get("trail"),
            trail_bps=cmd.get("trail_bps"),
        )
    if op == "cancel" and type(oid) is int:
        return book.cancel(oid)
    if op == "replace" and type(oid) is int:
        return book.replace(oid, price=cmd.get("price"), qty=cmd.get("qty"))
    if op == "end_of_day":
        return book.end_of_day()
    if op == "cancel_owner" and isinstance(cmd.get("owner"), str):
        return book.cancel_owner(cmd["owner"])
    book.seq += 1
    return [(REJECTED, oid, INVALID_COMMAND)]
