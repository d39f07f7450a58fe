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
import json
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from bourse.common.db import Database
from bourse.common.live import Socket, Sockets, pump
from bourse.order.handlers import trade_updates as handlers
from bourse.order.metrics import TRADE_UPDATES_CONNECTIONS, TRADE_UPDATES_PUSHED
from bourse.order.store.trade_updates import CHANNEL, Stored

log = logging.getLogger(__name__)
PULL_LIMIT = 256  # updates read per user per pull (a user still behind is pulled again)


@dataclass(eq=False)
class Subscriber(Socket[str]):
    """One open socket; its outbox holds the updates' JSON texts."""

    sent: int = 0
    live: bool = False

    def offer(self, update: Stored) -> bool:
        """Queue ``update`` unless this socket has had it (or is closing)."""
        if self.overflowed or update.seq <= self.sent:
            return False
        self.sent = update.seq
        return self.queue(update.message)


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
        self.sockets: Sockets[Subscriber] = Sockets(TRADE_UPDATES_CONNECTIONS)
        self._pending: asyncio.Queue[UUID] = asyncio.Queue()

    def subscribe(self, user_id: UUID) -> AbstractContextManager[Subscriber]:
        """Register a socket (not live yet: it replays first, then :meth:`go_live`)."""
        return self.sockets.open(Subscriber(user_id, self.queue_size))

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
        if any(s.live and s.sent < seq for s in self.sockets.of(user_id)):
            self._pending.put_nowait(user_id)

    def on_reconnected(self, _lost_at: datetime) -> None:
        """Updates stored while the LISTEN connection was down were never announced."""
        for user_id in self.sockets.users():
            self._pending.put_nowait(user_id)

    async def run(self) -> None:
        await pump(self._pending, lambda users: self.pull(set(users)), "trade updates")

    async def pull(self, users: set[UUID]) -> None:
        """Read and offer what the live sockets of ``users`` have not had."""
        readers = {user: list(self._live(user)) for user in users}
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

    def _live(self, user_id: UUID) -> Iterator[Subscriber]:
        return (s for s in self.sockets.of(user_id) if s.live and not s.overflowed)
