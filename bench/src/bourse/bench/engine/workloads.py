"""Seeded benchmark workloads: the same operations for every engine.

An operation is ``(code, oid, is_buy, price, qty)`` with the codes below; prices are
integer ticks around ``MID``. The generator runs our own book while generating, so that
cancels and moves pick orders that are really live, and IOC sizes keep the book near its
target depth; every engine then replays the recorded operations.

Workload a (throughput on a deep book): 10,000 resting orders prefilled on alternate sides,
then 60% passive gtc limits 1-50 ticks from mid (exponentially concentrated near the
touch, qty 1-100), 25% cancels of a random live order, 15% IOCs 11 ticks through mid,
sized so that about 10,000 orders stay resting.

Workload b (exchange-core's published mix): ~1,000 resting orders, then 9% gtc limits,
3% IOCs, 6% cancels and 82% moves (replace at a new passive price).
"""

import random
from dataclasses import dataclass

from bourse.matching.book import OrderBook

LIMIT, IOC, CANCEL, REPLACE = range(4)
MID = 100_000
Op = tuple[int, int, bool, int, int]


@dataclass(frozen=True)
class Mix:
    resting: int  # target number of resting orders (and the prefill size)
    limit: float
    ioc: float
    cancel: float  # the rest of the mix is replace (moves)
    ioc_depth: int  # IOCs cross up to this many ticks through mid
    mean_qty: float  # mean of the uniform 1..100 order size


WORKLOADS = {
    "a": Mix(resting=10_000, limit=0.60, ioc=0.15, cancel=0.25, ioc_depth=11, mean_qty=50.5),
    "b": Mix(resting=1_000, limit=0.09, ioc=0.03, cancel=0.06, ioc_depth=11, mean_qty=50.5),
}


@dataclass
class Workload:
    name: str
    prefill: list[Op]
    ops: list[Op]


class _Generator:
    def __init__(self, mix: Mix, seed: int) -> None:
        self.mix = mix
        self.rng = random.Random(seed)
        self.book = OrderBook("BENCH")
        self.live: list[int] = []  # live order ids, O(1) random pick and swap-remove
        self.where: dict[int, int] = {}  # id -> index in live
        self.side: dict[int, bool] = {}
        self.next_id = 1
        # Average orders an IOC must remove so that inserts and removals balance.
        net_inserts = mix.limit - mix.cancel
        self.ioc_orders = max(net_inserts, 0.0) / mix.ioc if mix.ioc else 0.0

    def passive_price(self, is_buy: bool) -> int:
        distance = 1 + min(49, int(self.rng.expovariate(1 / 6)))
        return MID - distance if is_buy else MID + distance

    def qty(self) -> int:
        return self.rng.randint(1, 100)

    def new_limit(self, is_buy: bool) -> Op:
        oid = self.take_id()
        op = (LIMIT, oid, is_buy, self.passive_price(is_buy), self.qty())
        self.apply(op)
        return op

    def take_id(self) -> int:
        oid = self.next_id
        self.next_id += 1
        return oid

    def apply(self, op: Op) -> None:
        code, oid, is_buy, price, qty = op
        side = "buy" if is_buy else "sell"
        if code == LIMIT:
            events = self.book.limit(oid, side, price, qty)
        elif code == IOC:
            events = self.book.limit(oid, side, price, qty, "ioc")
        elif code == CANCEL:
            events = self.book.cancel(oid)
        else:
            events = self.book.replace(oid, price, qty)
        if code == LIMIT and oid in self.book:
            self.add_live(oid, is_buy)
        for event in events:
            if event[0] == "trade" and event[2] not in self.book:
                self.remove_live(event[2])
        if code == CANCEL:
            self.remove_live(oid)

    def add_live(self, oid: int, is_buy: bool) -> None:
        self.where[oid] = len(self.live)
        self.live.append(oid)
        self.side[oid] = is_buy

    def remove_live(self, oid: int) -> None:
        index = self.where.pop(oid, None)
        if index is None:
            return
        last = self.live.pop()
        if last != oid:
            self.live[index] = last
            self.where[last] = index
        del self.side[oid]

    def next_op(self) -> Op:
        mix, roll = self.mix, self.rng.random()
        if roll < mix.limit or not self.live:
            return self.new_limit(self.rng.random() < 0.5)
        if roll < mix.limit + mix.ioc:
            return self.ioc()
        oid = self.live[self.rng.randrange(len(self.live))]
        if roll < mix.limit + mix.ioc + mix.cancel:
            op = (CANCEL, oid, self.side[oid], 0, 0)
        else:
            is_buy = self.side[oid]
            op = (REPLACE, oid, is_buy, self.passive_price(is_buy), self.qty())
        self.apply(op)
        return op

    def ioc(self) -> Op:
        is_buy = self.rng.random() < 0.5
        # Proportional feedback around the target depth keeps the book near its size.
        pressure = len(self.live) / self.mix.resting
        qty = max(1, round(self.ioc_orders * self.mix.mean_qty * pressure**3))
        price = MID + self.mix.ioc_depth if is_buy else MID - self.mix.ioc_depth
        op = (IOC, self.take_id(), is_buy, price, qty)
        self.apply(op)
        return op


def generate(name: str, ops: int, seed: int = 42) -> Workload:
    mix = WORKLOADS[name]
    gen = _Generator(mix, seed)
    prefill = [gen.new_limit(i % 2 == 0) for i in range(mix.resting)]
    return Workload(name, prefill, [gen.next_op() for _ in range(ops)])
