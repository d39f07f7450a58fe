"""The LISTEN side of ``pg_notify``: one dedicated asyncpg connection per instance,
reconnected with backoff when it drops, kept alive with a periodic ping.

Why LISTEN/NOTIFY for live feeds rather than a fan-out queue: what a feed pushes is
stored in PostgreSQL, which every instance of the service shares, and ``pg_notify`` in the
storing transaction is delivered only when that transaction commits: no dual write, no
outbox relay, no extra hop through the broker, and never a push of something that rolled
back. What NOTIFY cannot do is replay: while this connection is down, notifications are
missed, so each reconnect tells :meth:`Listener.on_reconnected`'s handlers when the
connection was lost, and they catch up from their tables."""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg

from bourse.common.db import driver_dsn

log = logging.getLogger(__name__)

OnNotified = Callable[[str], None]  # the payload of a NOTIFY
OnReconnected = Callable[[datetime], None]  # when the previous connection was lost


class Listener:
    def __init__(self, database_url: str, *, keepalive: float = 15.0) -> None:
        self._dsn = driver_dsn(database_url)
        self.keepalive = keepalive
        self._channels: dict[str, list[OnNotified]] = {}
        self._on_reconnected: list[OnReconnected] = []
        self._connection: asyncpg.Connection | None = None
        self._connected = asyncio.Event()
        self._lost_at: datetime | None = None

    def on_channel(self, channel: str, handler: OnNotified) -> None:
        """LISTEN on ``channel`` and call ``handler`` with each payload (register before
        :meth:`run`). Handlers run inside asyncpg's protocol: they must not block."""
        self._channels.setdefault(channel, []).append(handler)

    def on_reconnected(self, handler: OnReconnected) -> None:
        self._on_reconnected.append(handler)

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
                log.warning("LISTEN connection: %r; reconnecting in %.1fs", exc, backoff)
                backoff = min(backoff * 2, 5.0)
            self._lost_at = self._lost_at or datetime.now(UTC)
            await asyncio.sleep(backoff)

    async def _listen(self) -> None:
        lost = asyncio.Event()
        connection = await asyncpg.connect(self._dsn)
        try:
            connection.add_termination_listener(lambda _connection: lost.set())
            for channel in self._channels:
                await connection.add_listener(channel, self._notified)
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
        log.info("LISTEN connection back (lost at %s)", lost_at.isoformat())
        for handler in self._on_reconnected:
            handler(lost_at)

    def _notified(self, _connection: Any, _pid: int, channel: str, payload: str) -> None:
        for handler in self._channels.get(channel, ()):
            try:
                handler(payload)
            except Exception:
                log.exception("%s handler failed", channel)
