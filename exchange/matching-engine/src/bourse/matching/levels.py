"""One side of a book: its price levels, best price last (see book.py for the layout)."""

from bisect import bisect_left, insort
from collections import deque
from typing import Any

ID, QTY, PRICE, SIDE, OWNER, TIF, POST = range(7)
Order = list[Any]  # a resting order: [id, qty, price, side, owner, tif, post_only]

COMPACT_MIN_DEAD = 16
_MAX_IDLE_LEVELS = 256  # emptied levels kept for reuse, beyond twice the listed ones


class Level:
    __slots__ = ("dead", "price", "queue", "total")

    def __init__(self, price: int) -> None:
        self.price = price  # orders here share this int object: ~32 bytes less per order
        self.queue: deque[Order] = deque()
        self.total = 0  # open quantity of the live orders
        self.dead = 0  # cancelled orders still sitting in the queue


class BookSide:
    __slots__ = ("keys", "levels", "sign")

    def __init__(self, sign: int) -> None:
        self.sign = sign
        self.levels: dict[int, Level] = {}
        self.keys: list[int] = []

    def best(self) -> tuple[int, int] | None:
        if not self.keys:
            return None
        price = self.keys[-1] * self.sign
        return price, self.levels[price].total

    def depth(self, n: int) -> list[tuple[int, int]]:
        keys, levels, sign = self.keys, self.levels, self.sign
        return [(k * sign, levels[k * sign].total) for k in reversed(keys[-n:])] if n > 0 else []

    def drop_level(self, price: int) -> None:
        """Unlist an emptied level; its object stays in ``levels`` to be reused."""
        keys = self.keys
        del keys[bisect_left(keys, price * self.sign)]

    def reopen(self, price: int) -> Level:
        """The level for ``price``, listed again: a new one, or an emptied one reused
        (price levels near the touch empty and refill all day long)."""
        level = self.levels.get(price)
        if level is None:
            if len(self.levels) > 2 * len(self.keys) + _MAX_IDLE_LEVELS:
                self._forget_idle_levels()
            level = self.levels[price] = Level(price)
        else:
            level.queue.clear()  # only dead entries can be left in an emptied level
            level.dead = 0
        insort(self.keys, self.sign * price)
        return level

    def _forget_idle_levels(self) -> None:
        self.levels = {price: lvl for price, lvl in self.levels.items() if lvl.total}

    def unlink(self, rec: Order) -> None:
        """Take a resting order out of its level (lazily: it stays in the deque, dead)."""
        price = rec[PRICE]
        level = self.levels[price]
        level.total -= rec[QTY]
        rec[QTY] = 0
        if not level.total:
            self.drop_level(price)
            return
        level.dead += 1
        if level.dead > COMPACT_MIN_DEAD and 2 * level.dead > len(level.queue):
            level.queue = deque(o for o in level.queue if o[QTY])
            level.dead = 0

    def fillable(
        self, limit_key: int, qty: int, owner: str | None, budget: int | None = None
    ) -> int:
        """How much of ``qty`` would fill now against other owners (within ``budget``)."""
        sign, levels = self.sign, self.levels
        need = qty
        for key in reversed(self.keys):
            if key < limit_key or not need:
                break
            price = key * sign
            level = levels[price]
            if owner is None and budget is None:
                need -= min(level.total, need)
                continue
            for maker in level.queue:
                mqty = maker[QTY]
                if not mqty or (owner is not None and maker[OWNER] == owner):
                    continue
                take = min(mqty, need)
                if budget is not None:
                    affordable = budget // price
                    if affordable < take:
                        return qty - need + affordable
                    budget -= take * price
                need -= take
                if not need:
                    break
        return qty - need

    def queues(self) -> list[list[Any]]:
        """Each level's live order ids in time priority, best level first."""
        out = []
        for key in reversed(self.keys):
            price = key * self.sign
            out.append([price, [rec[ID] for rec in self.levels[price].queue if rec[QTY]]])
        return out

    def restore(self, queues: list[list[Any]], orders: dict[int, Any]) -> None:
        """Refill from ``queues()``'s output, the records taken from ``orders``."""
        for price, queue_ids in queues:
            level = self.levels[price] = Level(price)
            level.queue.extend(orders[oid] for oid in queue_ids)
            level.total = sum(rec[QTY] for rec in level.queue)
            self.keys.append(self.sign * price)
        self.keys.sort()
