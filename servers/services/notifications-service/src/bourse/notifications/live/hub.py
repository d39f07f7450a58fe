"""This instance's WebSockets, by user, and the pump that fills them.

The feed's callbacks only queue ids (they run inside asyncpg's protocol); :meth:`Hub.run`
reads the notifications of users that have a socket here in one query per batch, oldest
first, and offers each to every socket of its user. A socket that falls too far behind is
told to go away (its client reconnects and resyncs through the list API)."""

import asyncio
import contextlib
import logging
from collections import OrderedDict, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from bourse.common.db import Database
from bourse.notifications import store
from bourse.notifications.live.feed import Stored
from bourse.notifications.metrics import WS_CONNECTIONS, WS_PUSHED
from bourse.notifications.schemas import pushed_json

log = logging.getLogger(__name__)
CLOCK_SKEW = timedelta(seconds=5)  # between this instance and the database
REMEMBERED = 1_000  # ids each socket remembers having sent (a catch-up never repeats them)


@dataclass(eq=False)
class Subscriber:
    """One open socket. ``outbox`` holds JSON messages; ``None`` means: close, too slow."""

    user_id: UUID
    limit: int
    since: datetime = field(default_factory=lambda: datetime.now(UTC) - CLOCK_SKEW)
    outbox: asyncio.Queue[dict[str, Any] | None] = field(default_factory=asyncio.Queue)
    sent: OrderedDict[UUID, None] = field(default_factory=OrderedDict)
    overflowed: bool = False

    def offer(self, row: Any, *, catching_up: bool = False) -> bool:
        """Queue ``row`` unless sent before; a catch-up skips what predates the socket."""
        if self.overflowed or row.id in self.sent:
            return False
        if catching_up and row.created_at < self.since:
            return False
        self.sent[row.id] = None
        if len(self.sent) > REMEMBERED:
            self.sent.popitem(last=False)
        if self.outbox.qsize() >= self.limit:
            self.overflowed = True
            self.outbox.put_nowait(None)
            return False
        self.outbox.put_nowait(pushed_json(row))
        return True


@dataclass(frozen=True)
class CatchUp:
    since: datetime


class Hub:
    def __init__(self, db: Database, queue_size: int) -> None:
        self.db = db
        self.queue_size = queue_size
        self._sockets: defaultdict[UUID, set[Subscriber]] = defaultdict(set)
        self._pending: asyncio.Queue[UUID | CatchUp] = asyncio.Queue()

    @contextlib.contextmanager
    def subscribe(self, user_id: UUID) -> Iterator[Subscriber]:
        subscriber = Subscriber(user_id, self.queue_size)
        self._sockets[user_id].add(subscriber)
        WS_CONNECTIONS.inc()
        try:
            yield subscriber
        finally:
            WS_CONNECTIONS.dec()
            sockets = self._sockets[user_id]
            sockets.discard(subscriber)
            if not sockets:
                del self._sockets[user_id]

    def on_stored(self, stored: Stored) -> None:
        """The feed's callback: interesting only when the user has a socket here."""
        if stored.user_id in self._sockets:
            self._pending.put_nowait(stored.id)

    def on_reconnected(self, lost_at: datetime) -> None:
        """Notifications stored while the feed was down were never announced."""
        if self._sockets:
            self._pending.put_nowait(CatchUp(lost_at - CLOCK_SKEW))

    async def run(self) -> None:
        while True:
            batch = [await self._pending.get()]
            while not self._pending.empty():
                batch.append(self._pending.get_nowait())
            try:
                rows = await self._read(batch)
            except Exception:
                log.exception("live feed: %d notifications not pushed", len(batch))
                continue
            for row, catching_up in rows:
                self._fan_out(row, catching_up)

    async def _read(self, batch: list[UUID | CatchUp]) -> list[tuple[Any, bool]]:
        """The batch's rows, oldest first, each marked True when read by a catch-up."""
        ids = [item for item in batch if isinstance(item, UUID)]
        catch_ups = [item.since for item in batch if isinstance(item, CatchUp)]
        rows: list[tuple[Any, bool]] = []
        async with self.db.transaction() as session:
            if ids:
                rows += [(row, False) for row in await store.by_ids(session, ids)]
            if catch_ups and self._sockets:
                since = await store.created_since(session, list(self._sockets), min(catch_ups))
                rows += [(row, True) for row in since]
        return sorted(rows, key=lambda pair: (pair[0].id, pair[1]))

    def _fan_out(self, row: Any, catching_up: bool) -> None:
        for subscriber in list(self._sockets.get(row.user_id, ())):
            if subscriber.offer(row, catching_up=catching_up):
                WS_PUSHED.inc()
