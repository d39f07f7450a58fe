"""This instance's /ws/trade-updates sockets, by user, and the pump that fills them.

Each socket knows the last seq it was given (``sent``). A NOTIFY (any instance's commit)
says "user U is at seq N"; the pump then reads, for every user with a live socket here
that is behind, the updates after the lowest ``sent`` among that user's sockets (one
statement for all of them), and offers them in seq order to exactly the sockets it read
for. A socket takes an update only if its seq is above its ``sent``: as the read began at
or below every one of those sockets' positions and returns every retained seq after it,
no socket ever skips an update (no gap) or gets one twice.

A socket starts replaying (not live): the pump leaves it alone while it reads its own
pages; when it goes live, its user is queued for a pull, which brings whatever was
stored between its last page and that moment. A lost LISTEN connection pulls every user
with a socket when it comes back. A socket that falls ``limit`` updates behind is closed
(the client reconnects with ``?since=`` and loses nothing)."""

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from bourse.common.db import Database
from bourse.notifications.handlers import trade_updates as handlers
from bourse.notifications.metrics import TRADE_UPDATES_CONNECTIONS, TRADE_UPDATES_PUSHED
from bourse.notifications.store.trade_updates import CHANNEL, Stored

log = logging.getLogger(__name__)
PULL_LIMIT = 256  # updates read per user per pull (a user still behind is pulled again)


@dataclass(eq=False)
class Subscriber:
    """One open socket. ``outbox`` holds JSON texts; ``None`` means: close, too slow."""

    user_id: UUID
    limit: int
    sent: int = 0
    live: bool = False
    outbox: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    overflowed: bool = False

    def offer(self, update: Stored) -> bool:
        """Queue ``update`` unless this socket has had it (or is closing)."""
        if self.overflowed or update.seq <= self.sent:
            return False
        self.sent = update.seq
        if self.outbox.qsize() >= self.limit:
            self.overflowed = True
            self.outbox.put_nowait(None)
            return False
        self.outbox.put_nowait(update.message)
        return True


def parse(payload: str) -> tuple[UUID, int] | None:
    try:
        fields = json.loads(payload)
        return UUID(fields["user_id"]), int(fields["seq"])
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed %s payload: %r", CHANNEL, payload[:200])
        return None


class TradeUpdatesHub:
    def __init__(self, db: Database, queue_size: int) -> None:
        self.db = db
        self.queue_size = queue_size
        self._sockets: defaultdict[UUID, set[Subscriber]] = defaultdict(set)
        self._pending: asyncio.Queue[UUID] = asyncio.Queue()

    @contextlib.contextmanager
    def subscribe(self, user_id: UUID) -> Iterator[Subscriber]:
        """Register a socket (not live yet: it replays first, then :meth:`go_live`)."""
        subscriber = Subscriber(user_id, self.queue_size)
        self._sockets[user_id].add(subscriber)
        TRADE_UPDATES_CONNECTIONS.inc()
        try:
            yield subscriber
        finally:
            TRADE_UPDATES_CONNECTIONS.dec()
            sockets = self._sockets[user_id]
            sockets.discard(subscriber)
            if not sockets:
                del self._sockets[user_id]

    def go_live(self, subscriber: Subscriber) -> None:
        """From now on the pump feeds ``subscriber``, starting after its ``sent``."""
        subscriber.live = True
        self._pending.put_nowait(subscriber.user_id)

    def on_notified(self, payload: str) -> None:
        """The LISTEN connection's callback: a user's stream reached a seq."""
        notice = parse(payload)
        if notice is None:
            return
        user_id, seq = notice
        if any(s.live and s.sent < seq for s in self._sockets.get(user_id, ())):
            self._pending.put_nowait(user_id)

    def on_reconnected(self, _lost_at: datetime) -> None:
        """Updates stored while the LISTEN connection was down were never announced."""
        for user_id in list(self._sockets):
            self._pending.put_nowait(user_id)

    async def run(self) -> None:
        while True:
            users = {await self._pending.get()}
            while not self._pending.empty():
                users.add(self._pending.get_nowait())
            try:
                await self.pull(users)
            except Exception:
                log.exception("trade updates: %d users not pulled", len(users))

    async def pull(self, users: set[UUID]) -> None:
        """Read and offer what the live sockets of ``users`` have not had."""
        readers = {user: self._live(user) for user in users}
        positions = {user: min(s.sent for s in subs) for user, subs in readers.items() if subs}
        if not positions:
            return
        updates = await handlers.after_each(self.db, positions, PULL_LIMIT)
        read: defaultdict[UUID, int] = defaultdict(int)
        for update in updates:
            read[update.user_id] += 1
            for subscriber in readers[update.user_id]:
                if subscriber.offer(update):
                    TRADE_UPDATES_PUSHED.inc()
        for user, count in read.items():
            if count >= PULL_LIMIT:  # more to come
                self._pending.put_nowait(user)

    def _live(self, user_id: UUID) -> list[Subscriber]:
        return [s for s in self._sockets.get(user_id, ()) if s.live and not s.overflowed]
