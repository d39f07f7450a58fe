"""Order entry with group commit (ARCHITECTURE §4a): new orders that arrive together are
created in ONE transaction, with one statement per table, and each request is answered
only after that transaction has committed, never before.

The first request finds no commit in flight and is committed at once (no added latency
when the load is light); requests that arrive while a commit runs wait for it and go
together in the next one. An order fails alone: a validation problem (422) is that
request's answer, and if a whole group's transaction fails, its requests are placed
again one by one. ``POST /orders/batch`` hands its orders in as one group.
"""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from bourse.common.db import Database
from bourse.common.errors import Problem
from bourse.contracts.events import RiskRequested
from bourse.messaging.uow import UnitOfWork, run_unit
from bourse.order import store
from bourse.order.config import Settings
from bourse.order.domain.placement import OrderRequest, Placement, place
from bourse.order.handlers import http
from bourse.order.snapshots import order_changed

log = logging.getLogger(__name__)
MAX_GROUP = 500  # orders in one transaction at most


@dataclass(frozen=True)
class NewOrder:
    user_id: UUID
    request: OrderRequest
    client_order_id: str | None


Outcome = tuple[Any, bool] | Problem  # (the order, created now) or why it was refused
Fresh = tuple[int, NewOrder, Placement]  # a valid order to insert, by its index in the group
Added = tuple[Fresh, dict[str, Any]]  # one the insert created, and its row


@dataclass
class _Waiting:
    order: NewOrder
    answer: asyncio.Future[Outcome] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class OrderEntry:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._queue: list[_Waiting] = []
        self._committing: asyncio.Task[None] | None = None

    async def place(self, orders: Sequence[NewOrder]) -> list[Outcome]:
        """Create ``orders`` (committed with whatever else is waiting); one outcome each."""
        waiting = [_Waiting(order) for order in orders]
        self._queue += waiting
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_all())
        return list(await asyncio.gather(*(w.answer for w in waiting)))

    async def _commit_all(self) -> None:
        while self._queue:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            try:
                outcomes = await run_unit(self.db, partial(self._create, group=group))
            except Exception:
                log.exception("a group of %d orders failed; placing them one by one", len(group))
                outcomes = [await self._alone(w.order) for w in group]
            for waiting, outcome in zip(group, outcomes, strict=True):
                if not waiting.answer.done():
                    waiting.answer.set_result(outcome)

    async def _alone(self, order: NewOrder) -> Outcome:
        try:
            result = await http.place_order(
                self.db, self.settings, order.user_id, order.request, order.client_order_id
            )
        except Problem as problem:
            return problem
        assert isinstance(result, tuple)  # no Idempotency-Key: never a stored answer
        return result

    async def _create(self, uow: UnitOfWork, group: list[_Waiting]) -> list[Outcome]:
        """The group's orders inserted with one statement. A client order id its user has
        already used is answered with that order (found after the insert, so that the
        usual group, with new ids only, costs no lookup)."""
        pg = await uow.pg()
        orders = [w.order for w in group]
        instruments = await store.instruments(pg, {o.request.symbol for o in orders})
        outcomes: list[Outcome | None] = []  # None: answered once the insert is done
        fresh: list[Fresh] = []
        claimed: dict[tuple[UUID, str], int] = {}
        for index, order in enumerate(orders):
            key = _key(order)
            if key is not None and key in claimed:  # the same id twice in the group
                outcomes.append(None)
                continue
            try:
                placement = _placement(order, instruments, self.settings)
            except Problem as problem:
                outcomes.append(problem)
                continue
            if key is not None:
                claimed[key] = index
            outcomes.append(None)
            fresh.append((index, order, placement))
        rows = await store.add_orders(
            pg, [(o.user_id, o.request, o.client_order_id, p) for _, o, p in fresh]
        )
        added = [(f, row) for f, row in zip(fresh, rows, strict=True) if row is not None]
        left_out = [index for (index, _, _), row in zip(fresh, rows, strict=True) if row is None]
        await _answer_known(pg, orders, outcomes, added, left_out)
        answers = _answers(uow, orders, outcomes, added, claimed)
        await uow.flush()
        return answers


def _key(order: NewOrder) -> tuple[UUID, str] | None:
    return (order.user_id, order.client_order_id) if order.client_order_id else None


async def _answer_known(
    pg: Any,
    orders: Sequence[NewOrder],
    outcomes: list[Outcome | None],
    added: list[Added],
    left_out: list[int],
) -> None:
    """An order whose client order id its user had already used is answered with that
    order (neither created again nor refused if it is invalid): the ones the insert left
    out, and the refused ones whose id no order of this group took."""
    refused = [index for index, outcome in enumerate(outcomes) if isinstance(outcome, Problem)]
    inserted = {_key(order) for (_, order, _), _ in added}
    taken = {
        index: key
        for index in left_out + refused
        if (key := _key(orders[index])) is not None and key not in inserted
    }
    known = await store.orders_by_client_id(pg, list(set(taken.values())))
    for index, key in taken.items():
        if key in known:
            outcomes[index] = (SimpleNamespace(**known[key]), False)
        elif index in left_out:  # the insert saw it, so it is there: never happens
            raise RuntimeError(f"client order id {key} neither inserted nor found")


def _placement(order: NewOrder, instruments: dict[str, Any], settings: Settings) -> Placement:
    instrument = instruments.get(order.request.symbol)
    if instrument is None:
        raise Problem(422, "unknown_symbol", f"unknown symbol {order.request.symbol}")
    return place(order.request, instrument, settings.collar)


def _answers(
    uow: UnitOfWork,
    orders: Sequence[NewOrder],
    outcomes: list[Outcome | None],
    added: list[Added],
    claimed: dict[tuple[UUID, str], int],
) -> list[Outcome]:
    """Each new order is announced (pending_new, then its risk request) and answered; a
    repeated client order id in the group is answered with the first one's order. The
    group's pending_new events are staged together, so the relay sends them as one
    message (and the risk requests as another)."""
    uow.stage(*(order_changed(row) for _, row in added))
    for (index, _, placement), row in added:
        uow.stage(_risk_requested(row, placement))
        outcomes[index] = (SimpleNamespace(**row), True)
    return [
        _repeat_of(outcomes, claimed, order) if outcome is None else outcome
        for order, outcome in zip(orders, outcomes, strict=True)
    ]


def _repeat_of(
    outcomes: list[Outcome | None], claimed: dict[tuple[UUID, str], int], order: NewOrder
) -> Outcome:
    """The answer to a client order id repeated in the group: the first one's order."""
    first = outcomes[claimed[(order.user_id, order.client_order_id or "")]]
    assert isinstance(first, tuple)
    return (first[0], False)


def _risk_requested(row: dict[str, Any], placement: Placement) -> RiskRequested:
    return RiskRequested(
        order_id=row["id"],
        user_id=row["user_id"],
        symbol=row["symbol"],
        side=row["side"],
        reserve_cash=placement.reserve_cash,
        reserve_qty=placement.reserve_qty,
    )
