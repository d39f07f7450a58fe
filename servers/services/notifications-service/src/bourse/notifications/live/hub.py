"""This instance's /ws/notifications sockets, by user, and the pump that fills them
(bourse.common.live).

The feed's callbacks only queue ids (they run inside asyncpg's protocol); :meth:`Hub.run`
reads the notifications of users that have a socket here in one query per batch, oldest
first, and offers each to every socket of its user. A socket that falls too far behind is
told to go away (its client reconnects and resyncs through the list API)."""

import asyncio
from collections import OrderedDict
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from bourse.common.db import Database
from bourse.common.live import Socket, Sockets, pump
from bourse.notifications import store
from bourse.notifications.live.feed import Stored
from bourse.notifications.metrics import WS_CONNECTIONS, WS_PUSHED
from bourse.notifications.schemas import pushed_json

CLOCK_SKEW = timedelta(seconds=5)  # between this instance and the database
REMEMBERED = 1_000  # ids each socket remembers having sent (a catch-up never repeats them)


@dataclass(eq=False)
class Subscriber(Socket[dict[str, Any]]):
    """One open socket; its outbox holds JSON messages."""

    since: datetime = field(default_factory=lambda: datetime.now(UTC) - CLOCK_SKEW)
    sent: OrderedDict[UUID, None] = field(default_factory=OrderedDict)

    def offer(self, row: Any, *, catching_up: bool = False) -> bool:
        """Queue ``row`` unless sent before; a catch-up skips what predates the socket."""
        if self.overflowed or row.id in self.sent:
            return False
        if catching_up and row.created_at < self.since:
            return False
        self.sent[row.id] = None
        if len(self.sent) > REMEMBERED:
            self.sent.popitem(last=False)
        return self.queue(pushed_json(row))


@dataclass(frozen=True)
class CatchUp:
    since: datetime


class Hub:
    def __init__(self, db: Database, queue_size: int) -> None:
        self.db = db
        self.queue_size = queue_size
        self.sockets: Sockets[Subscriber] = Sockets(WS_CONNECTIONS)
        self._pending: asyncio.Queue[UUID | CatchUp] = asyncio.Queue()

    def subscribe(self, user_id: UUID) -> AbstractContextManager[Subscriber]:
        return self.sockets.open(Subscriber(user_id, self.queue_size))

    def on_stored(self, stored: Stored) -> None:
        """The feed's callback: interesting only when the user has a socket here."""
        if stored.user_id in self.sockets:
            self._pending.put_nowait(stored.id)

    def on_reconnected(self, lost_at: datetime) -> None:
        """Notifications stored while the feed was down were never announced."""
        if self.sockets:
            self._pending.put_nowait(CatchUp(lost_at - CLOCK_SKEW))

    async def run(self) -> None:
        await pump(self._pending, self._push, "live notifications")

    async def _push(self, batch: list[UUID | CatchUp]) -> None:
        for row, catching_up in await self._read(batch):
            for subscriber in self.sockets.of(row.user_id):
                if subscriber.offer(row, catching_up=catching_up):
                    WS_PUSHED.inc()

    async def _read(self, batch: list[UUID | CatchUp]) -> list[tuple[Any, bool]]:
        """The batch's rows, oldest first, each marked True when read by a catch-up."""
        ids = [item for item in batch if isinstance(item, UUID)]
        catch_ups = [item.since for item in batch if isinstance(item, CatchUp)]
        rows: list[tuple[Any, bool]] = []
        async with self.db.reading() as session:
            if ids:
                rows += [(row, False) for row in await store.by_ids(session, ids)]
            users = self.sockets.users()
            if catch_ups and users:
                since = await store.created_since(session, users, min(catch_ups))
                rows += [(row, True) for row in since]
        return sorted(rows, key=lambda pair: (pair[0].id, pair[1]))
