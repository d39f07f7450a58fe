"""The LISTEN side of ``pg_notify``: one dedicated asyncpg connection per instance,
reconnected with backoff when it drops, kept alive with a periodic ping.

Why LISTEN/NOTIFY rather than a fan-out queue: the notification is stored in PostgreSQL,
which every instance shares, and ``pg_notify`` in the storing transaction is delivered
only when that transaction commits: no dual write, no outbox relay, no extra hop through
the broker, and never a push of something that rolled back. What NOTIFY cannot do is
replay: while this connection is down, notifications are missed, so each reconnect
reports when the connection was lost and the hub catches up from the table. Other
channels (trade updates) share the connection: :meth:`NotificationFeed.on_channel`."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
from sqlalchemy.engine import make_url

from bourse.notifications.store import CHANNEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Stored:
    """A notification just committed (by any instance)."""

    id: UUID
    user_id: UUID
    webhook: bool = False  # a webhook delivery was queued with it


OnStored = Callable[[Stored], None]
OnReconnected = Callable[[datetime], None]  # when the previous connection was lost
OnNotified = Callable[[str], None]  # the payload of a NOTIFY on another channel


def parse(payload: str) -> Stored | None:
    try:
        fields = json.loads(payload)
        return Stored(UUID(fields["id"]), UUID(fields["user_id"]), fields.get("webhook") is True)
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring a malformed %s payload: %r", CHANNEL, payload[:200])
        return None


class NotificationFeed:
    def __init__(self, database_url: str, *, keepalive: float = 15.0) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self.keepalive = keepalive
        self._on_stored: list[OnStored] = []
        self._on_reconnected: list[OnReconnected] = []
        self._others: dict[str, list[OnNotified]] = {}
        self._connection: asyncpg.Connection | None = None
        self._connected = asyncio.Event()
        self._lost_at: datetime | None = None

    def on_stored(self, handler: OnStored) -> None:
        self._on_stored.append(handler)

    def on_reconnected(self, handler: OnReconnected) -> None:
        self._on_reconnected.append(handler)

    def on_channel(self, channel: str, handler: OnNotified) -> None:
        """Also LISTEN on ``channel`` (on the same connection; register before run)."""
        self._others.setdefault(channel, []).append(handler)

    @property
    def server_pid(self) -> int | None:
        """The listening backend's pid (tests terminate it to prove reconnection)."""
        connection = self._connection
        return None if connection is None else int(connection.get_server_pid())

    async def wait_connected(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    async def run(self) -> None:
        """Listen forever; a lost connection is reopened with backoff."""
        backoff = 0.1
        while True:
            try:
                await self._listen()
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("notification feed: %r; reconnecting in %.1fs", exc, backoff)
                backoff = min(backoff * 2, 5.0)
            self._lost_at = self._lost_at or datetime.now(UTC)
            await asyncio.sleep(backoff)

    async def _listen(self) -> None:
        lost = asyncio.Event()
        connection = await asyncpg.connect(self._dsn)
        try:
            connection.add_termination_listener(lambda _connection: lost.set())
            await connection.add_listener(CHANNEL, self._notified)
            for channel in self._others:
                await connection.add_listener(channel, self._notified_other)
            self._connection = connection
            self._connected.set()
            self._announce_reconnect()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self.keepalive)
                if not lost.is_set():
                    await asyncio.wait_for(connection.execute("SELECT 1"), 5)
        finally:
            self._connected.clear()
            self._connection = None
            self._lost_at = datetime.now(UTC)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), 2)

    def _announce_reconnect(self) -> None:
        if self._lost_at is None:
            return
        lost_at, self._lost_at = self._lost_at, None
        log.info("notification feed reconnected (lost at %s)", lost_at.isoformat())
        for handler in self._on_reconnected:
            handler(lost_at)

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        stored = parse(payload)
        if stored is None:
            return
        for handler in self._on_stored:
            try:
                handler(stored)
            except Exception:
                log.exception("notification feed handler failed")

    def _notified_other(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        for handler in self._others.get(channel, ()):
            try:
                handler(payload)
            except Exception:
                log.exception("%s handler failed", channel)
