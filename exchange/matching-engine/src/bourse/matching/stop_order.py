"""A pending stop order (kept apart from book.py so trailing stops can extend it)."""


class StopOrder:
    """A stop or stop-limit order waiting, hidden, for its trigger price."""

    __slots__ = ("id", "owner", "post_only", "price", "qty", "rank", "side", "stop_price", "tif")

    def __init__(
        self,
        oid: int,
        side: str,
        qty: int,
        price: int | None,
        stop_price: int,
        tif: str,
        owner: str | None,
        post_only: bool,
        rank: int,
    ) -> None:
        self.id = oid
        self.side = side
        self.qty = qty
        self.price = price  # None: a stop (runs as market); else a stop-limit
        self.stop_price = stop_price
        self.tif = tif
        self.owner = owner
        self.post_only = post_only
        self.rank = rank  # acceptance rank: stops fire in this order
