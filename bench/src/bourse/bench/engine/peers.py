"""Adapters that drive third-party matching engines from PyPI through ``EngineAdapter``.

The peers are optional (dependency group ``bench-peers``), so none is imported at module
import time: each adapter imports its engine in ``__init__`` and ``available_peers()``
lists only the factories whose engine imports.

Common conventions, chosen so every peer runs the workload's operations faithfully and
with as little adapter overhead as possible:

* prices are passed as the workload's integer ticks (every peer compares prices with
  ``<``/``>=`` and uses them as dict/map keys, and ints do that exactly); they must be
  positive: price 0 is a market order to lightmatchingengine and liquibook, and
  liquibook's prices are uint64;
* one instrument, ``SYMBOL``, where a peer wants one;
* a peer without native IOC gets a limit order, and whatever of it rests is cancelled in
  the same call;
* a peer without native replace gets cancel + new limit order under the same id; the new
  order carries ``qty`` as its open quantity and loses time priority (liquibook's native
  replace also re-queues, so this is the semantics of all four); replacing an unknown or
  finished id is a no-op;
* cancel of an unknown or finished id is a no-op, by a lookup before the call where the
  peer would raise or log.

Bound methods and peer constants are looked up once in ``__init__``.
"""

import importlib
from collections.abc import Callable
from typing import Any

from bourse.bench.engine.adapters import EngineAdapter

SYMBOL = "X"


class PyOrderBookAdapter:
    """``pyorderbook`` (pure Python): ``Book.match(Order)``, ``Book.cancel(Order)``.

    ``Order`` draws a ``uuid4`` id in its constructor and turns the price into
    ``Decimal(str(price))``; that is the peer's own cost. The adapter then overwrites
    ``order.id`` with the workload's int id (the book only uses it as a dict key), so the
    book's own ``order_map`` is the id index and no adapter-side map can leak.
    No native IOC or replace: emulated. ``Book.cancel`` of an unknown order logs an
    error and raises, so cancel looks the id up first.
    """

    name = "pyorderbook"

    def __init__(self) -> None:
        pob = importlib.import_module("pyorderbook")
        book = pob.Book()
        self._order: Any = pob.Order
        self._bid: Any = pob.Side.BID
        self._ask: Any = pob.Side.ASK
        self._match: Any = book.match
        self._cancel: Any = book.cancel
        self._resting: dict[Any, Any] = book.order_map

    def limit(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        order = self._order(self._bid if is_buy else self._ask, SYMBOL, price, qty)
        order.id = oid
        self._match(order)

    def ioc(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        # The order keeps its uuid: it never outlives this call.
        order = self._order(self._bid if is_buy else self._ask, SYMBOL, price, qty)
        self._match(order)
        if order.quantity:
            self._cancel(order)

    def cancel(self, oid: int) -> None:
        order = self._resting.get(oid)
        if order is not None:
            self._cancel(order)

    def replace(self, oid: int, price: int, qty: int) -> None:
        order = self._resting.get(oid)
        if order is None:
            return
        self._cancel(order)
        new = self._order(order.side, SYMBOL, price, qty)
        new.id = oid
        self._match(new)

    def resting_count(self) -> int:
        return len(self._resting)


class LightMatchingEngineAdapter:
    """``lightmatchingengine`` (pure Python): ``add_order(instmt, price, qty, side)``
    returns ``(order, trades)``; ``cancel_order(engine_id, instmt)``.

    The engine assigns its own int ids, so the adapter maps ours to the engine's
    ``Order`` objects (kept only while they may rest). The engine never removes filled
    orders from its ``order_id_map``, and cancelling one whose price level is gone fails
    an ``assert``; so cancel/replace check ``leaves_qty`` (0 once filled) first, and
    ``resting_count`` counts the price-level queues rather than that map.
    Price 0 means a market order to this engine. No native IOC or replace: emulated.
    """

    name = "lightmatchingengine"

    def __init__(self) -> None:
        lme = importlib.import_module("lightmatchingengine.lightmatchingengine")
        engine = lme.LightMatchingEngine()
        # cancel_order asserts the instrument's book exists: create it up front.
        self._book: Any = engine.order_books.setdefault(SYMBOL, lme.OrderBook())
        self._add: Any = engine.add_order
        self._cancel: Any = engine.cancel_order
        self._buy: int = lme.Side.BUY
        self._sell: int = lme.Side.SELL
        self._orders: dict[int, Any] = {}

    def limit(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        order = self._add(SYMBOL, price, qty, self._buy if is_buy else self._sell)[0]
        if order.leaves_qty:
            self._orders[oid] = order

    def ioc(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        order = self._add(SYMBOL, price, qty, self._buy if is_buy else self._sell)[0]
        if order.leaves_qty:
            self._cancel(order.order_id, SYMBOL)

    def cancel(self, oid: int) -> None:
        order = self._orders.pop(oid, None)
        if order is not None and order.leaves_qty:
            self._cancel(order.order_id, SYMBOL)

    def replace(self, oid: int, price: int, qty: int) -> None:
        order = self._orders.pop(oid, None)
        if order is None or not order.leaves_qty:
            return
        self._cancel(order.order_id, SYMBOL)
        new = self._add(SYMBOL, price, qty, order.side)[0]
        if new.leaves_qty:
            self._orders[oid] = new

    def resting_count(self) -> int:
        book = self._book
        return sum(map(len, book.bids.values())) + sum(map(len, book.asks.values()))


class CythonOrderBookAdapter:
    """``cython-orderbook`` (Cython; ``Order``/``PriceLevel`` are cdef classes, the
    ``OrderBook`` logic is a compiled plain class over ``SortedDict``/``OrderedDict``):
    ``add_limit_order(Order)``, ``cancel_order(str_id) -> bool``.

    Ids are strings drawn from a module-global counter ("1", "2", ...), which would
    collide with ours, so every order's ``order_id`` is overwritten with ``str(oid)``
    (the book's own ``orders`` map is then the id index). ``cancel_order`` of an unknown
    id returns False. No native IOC (its market order has no limit price) or replace:
    emulated.
    """

    name = "cython-orderbook"

    def __init__(self) -> None:
        cob = importlib.import_module("cython_orderbook")
        book = cob.OrderBook()
        self._order: Any = cob.Order
        self._bid: Any = cob.OrderSide.BID
        self._ask: Any = cob.OrderSide.ASK
        self._add: Any = book.add_limit_order
        self._cancel: Any = book.cancel_order
        self._resting: dict[str, Any] = book.orders

    def limit(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        order = self._order(self._bid if is_buy else self._ask, qty, price)
        order.order_id = str(oid)
        self._add(order)

    def ioc(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        order = self._order(self._bid if is_buy else self._ask, qty, price)
        order.order_id = str(oid)
        self._add(order)
        if order.remaining_quantity:
            self._cancel(order.order_id)

    def cancel(self, oid: int) -> None:
        self._cancel(str(oid))

    def replace(self, oid: int, price: int, qty: int) -> None:
        sid = str(oid)
        entry = self._resting.get(sid)  # (PriceLevel, Order)
        if entry is None:
            return
        self._cancel(sid)
        order = self._order(entry[1].side, qty, price)
        order.order_id = sid
        self._add(order)

    def resting_count(self) -> int:
        return len(self._resting)


class LiquibookAdapter:
    """``liquibook`` (SWIG wrapper of the C++ LiquiBook, prebuilt cp311 wheel):
    ``DepthOrderBook.add(SimpleOrder, conditions)``, ``.cancel(SimpleOrder)``, native IOC
    via the ``oc_immediate_or_cancel`` condition.

    Orders are identified by object (shared_ptr identity), so the adapter maps our ids to
    ``SimpleOrder`` proxies. With no listener attached, the Python-exposed
    ``DepthOrderBook`` never updates a ``SimpleOrder``'s state, open quantity or price:
    the adapter cannot tell a filled order from a resting one, so filled orders stay in
    its map, and cancelling one is a harmless ``cancel_reject``. Native ``replace`` takes
    a delta on the (unknowable) open quantity and leaves the ``SimpleOrder``'s price
    stale, so later cancels miss; replace is therefore cancel + add, with the side map's
    size telling whether the cancel found the order. Price 0 is a market order here.
    """

    name = "liquibook"

    def __init__(self) -> None:
        lb = importlib.import_module("liquibook")
        book = lb.DepthOrderBook()
        self._book: Any = book  # keeps the book alive behind the map views below
        self._order: Any = lb.SimpleOrder
        self._ioc_flag: int = lb.oc_immediate_or_cancel
        self._add: Any = book.add
        self._cancel: Any = book.cancel
        self._bids: Any = book.bids()  # live views of the C++ maps
        self._asks: Any = book.asks()
        self._orders: dict[int, Any] = {}

    def limit(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        order = self._order(is_buy, price, qty)
        self._add(order)
        self._orders[oid] = order

    def ioc(self, oid: int, is_buy: bool, price: int, qty: int) -> None:
        # The flag must go to add(): OrderTracker's constructor drops the order's own
        # conditions (it ORs them into its argument after copying it), so an IOC
        # SimpleOrder added without it would rest.
        self._add(self._order(is_buy, price, qty), self._ioc_flag)

    def cancel(self, oid: int) -> None:
        order = self._orders.pop(oid, None)
        if order is not None:
            self._cancel(order)

    def replace(self, oid: int, price: int, qty: int) -> None:
        order = self._orders.pop(oid, None)
        if order is None:
            return
        is_buy = order.is_buy()
        side = self._bids if is_buy else self._asks
        before = side.size()
        self._cancel(order)
        if side.size() == before:  # not on the book any more: already filled
            return
        new = self._order(is_buy, price, qty)
        self._add(new)
        self._orders[oid] = new

    def resting_count(self) -> int:
        return int(self._bids.size() + self._asks.size())


_PEERS: tuple[tuple[str, Callable[[], EngineAdapter]], ...] = (
    ("pyorderbook", PyOrderBookAdapter),
    ("lightmatchingengine.lightmatchingengine", LightMatchingEngineAdapter),
    ("cython_orderbook", CythonOrderBookAdapter),
    ("liquibook", LiquibookAdapter),
)


def available_peers() -> list[Callable[[], EngineAdapter]]:
    """Factories of the peers whose engine imports here (importing it as a side effect)."""
    factories: list[Callable[[], EngineAdapter]] = []
    for module, factory in _PEERS:
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        factories.append(factory)
    return factories
