"""A book as plain data: its snapshot state (``to_state``/``from_state``) and the
description of one live order (``describe``)."""

from typing import TYPE_CHECKING, Any

from bourse.matching.ids import UsedIds
from bourse.matching.levels import OWNER, POST, PRICE, QTY, SIDE, TIF, Order
from bourse.matching.stop_order import StopOrder
from bourse.matching.trailing import TrailingStop
from bourse.matching.trailing import from_state as trailing_from_state
from bourse.matching.types import BUY

if TYPE_CHECKING:
    from bourse.matching.book import OrderBook


def to_state(book: "OrderBook") -> dict[str, Any]:
    """Everything needed to continue exactly where ``book`` is, as plain data."""
    return {
        "symbol": book.symbol,
        "seq": book.seq,
        "trade_count": book.trade_count,
        "last_price": book.last_price,
        "stop_rank": book.stops.rank,
        "ids": book.ids.to_state(),
        "orders": [_order_state(rec) for rec in book.orders.values()],
        "queues": {BUY: book.bids.queues(), "sell": book.asks.queues()},
    }


def _order_state(rec: Order | StopOrder) -> list[Any]:
    if type(rec) is list:
        return ["limit", *rec]
    if isinstance(rec, TrailingStop):
        return rec.to_state()
    assert isinstance(rec, StopOrder)
    return [
        "stop",
        rec.id,
        rec.qty,
        rec.price,
        rec.side,
        rec.owner,
        rec.tif,
        rec.post_only,
        rec.stop_price,
        rec.rank,
    ]


def restore(book: "OrderBook", state: dict[str, Any]) -> None:
    """Fill the empty ``book`` from ``to_state``'s output."""
    book.seq, book.trade_count = state["seq"], state["trade_count"]
    book.last_price, book.stops.rank = state["last_price"], state["stop_rank"]
    book.ids = UsedIds.from_state(state["ids"])
    for row in state["orders"]:
        kind, oid, qty, price, side, owner, tif, post_only, *stop = row
        if kind == "limit":
            book.orders[oid] = [oid, qty, price, side, owner, tif, post_only]
            continue
        if kind == "trailing":
            order: StopOrder = trailing_from_state(row)
        else:
            stop_price, rank = stop
            order = StopOrder(oid, side, qty, price, stop_price, tif, owner, post_only, rank)
        book.orders[oid] = order
        book.stops.add(order)
    book.bids.restore(state["queues"][BUY], book.orders)
    book.asks.restore(state["queues"]["sell"], book.orders)


def describe(oid: int, rec: Order | StopOrder) -> dict[str, Any]:
    """A live order (resting or pending stop) as a dict."""
    if type(rec) is list:
        return {
            "id": oid,
            "qty": rec[QTY],
            "price": rec[PRICE],
            "side": rec[SIDE],
            "owner": rec[OWNER],
            "tif": rec[TIF],
            "post_only": rec[POST],
            "type": "limit",
        }
    if isinstance(rec, TrailingStop):
        return rec.as_dict()
    assert isinstance(rec, StopOrder)
    return {
        "id": oid,
        "qty": rec.qty,
        "price": rec.price,
        "side": rec.side,
        "owner": rec.owner,
        "tif": rec.tif,
        "post_only": rec.post_only,
        "stop_price": rec.stop_price,
        "type": "stop" if rec.price is None else "stop_limit",
    }
