"""What every per-instance WebSocket hub is made of: a socket's bounded queue of messages
(:class:`Socket`), the open sockets of one feed by user (:class:`Sockets`), the pump
that applies what is pending in batches (:func:`pump`), and :class:`AfterTurn`, which
hands what a turn of the event loop marked to a flush right after that turn.

A hub's callbacks (a LISTEN notification, bourse.common.listen) only queue what is
pending, since they run inside asyncpg's protocol; its pump reads the database for a whole
batch and offers each message to the sockets it is for. A socket that falls too far
behind gets ``None`` as its last message: its feed closes it (the client reconnects and
resyncs), rather than the instance buffering without bound."""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, NoReturn, TypeVar
from uuid import UUID

from prometheus_client import Gauge

log = logging.getLogger(__name__)
M = TypeVar("M")
T = TypeVar("T")
S = TypeVar("S", bound="Socket[Any]")


@dataclass(eq=False)
class Socket(Generic[M]):
    """One open socket: its user and the messages waiting to be sent (at most ``limit``;
    ``None`` means: close, the client is too slow)."""

    user_id: UUID
    limit: int
    outbox: asyncio.Queue[M | None] = field(default_factory=asyncio.Queue)
    overflowed: bool = False

    def queue(self, message: M) -> bool:
        """Queue ``message``; False (and the socket told to close) when ``limit`` wait."""
        if self.overflowed:
            return False
        if self.outbox.qsize() >= self.limit:
            self.overflowed = True
            self.outbox.put_nowait(None)
            return False
        self.outbox.put_nowait(message)
        return True


class Sockets(Generic[S]):
    """This instance's open sockets of one feed, by user; ``gauge`` counts them."""

    def __init__(self, gauge: Gauge) -> None:
        self._gauge = gauge
        self._by_user: defaultdict[UUID, set[S]] = defaultdict(set)

    @contextlib.contextmanager
    def open(self, socket: S) -> Iterator[S]:
        """``socket`` is registered while the block runs."""
        self._by_user[socket.user_id].add(socket)
        self._gauge.inc()
        try:
            yield socket
        finally:
            self._gauge.dec()
            sockets = self._by_user[socket.user_id]
            sockets.discard(socket)
            if not sockets:
                del self._by_user[socket.user_id]

    def of(self, user_id: UUID) -> list[S]:
        return list(self._by_user.get(user_id, ()))

    def users(self) -> list[UUID]:
        return list(self._by_user)

    def __contains__(self, user_id: object) -> bool:
        return user_id in self._by_user

    def __bool__(self) -> bool:
        return bool(self._by_user)


async def pump(
    pending: asyncio.Queue[T], work: Callable[[list[T]], Awaitable[None]], what: str
) -> NoReturn:
    """Forever: wait for something pending, take all that is pending with it and hand it
    to ``work`` at once. A failure is logged (``what`` names the feed) and the pump goes
    on with what comes next."""
    while True:
        batch = [await pending.get()]
        while not pending.empty():
            batch.append(pending.get_nowait())
        try:
            await work(batch)
        except Exception:
            log.exception("%s: a batch of %d failed", what, len(batch))


class AfterTurn(Generic[T]):
    """Items marked during one turn of the event loop, handed to ``flush`` once, right
    after that turn: a burst of marks costs one scheduled call, whatever its size, and
    an item marked many times is flushed once."""

    def __init__(self, flush: Callable[[set[T]], None]) -> None:
        self._flush = flush
        self._pending: set[T] = set()
        self._scheduled = False

    def add(self, item: T) -> None:
        self._pending.add(item)
        self._schedule()

    def update(self, items: Iterable[T]) -> None:
        self._pending.update(items)
        self._schedule()

    def discard(self, item: T) -> None:
        self._pending.discard(item)

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._run)

    def _run(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, set()
        self._flush(pending)
