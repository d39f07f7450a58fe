"""The background loop that works the delivery queue. Every instance runs one; woken by
the live feed when a notification is stored, and polling for retries that come due."""

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import httpx

from bourse.common.db import Database
from bourse.notifications.config import Settings
from bourse.notifications.domain import webhooks as rules
from bourse.notifications.live.feed import Stored
from bourse.notifications.metrics import WEBHOOK_ATTEMPTS
from bourse.notifications.webhooks import sender, store
from bourse.notifications.webhooks.store import Attempt, Outcome

log = logging.getLogger(__name__)


class WebhookWorker:
    def __init__(self, db: Database, settings: Settings, client: httpx.AsyncClient) -> None:
        self.db = db
        self.settings = settings
        self.client = client
        self._wake = asyncio.Event()

    def wake(self, stored: Stored) -> None:
        """A notification was stored; only one that queued a delivery is work for us
        (waking for every other would cost a claiming transaction per notification)."""
        if stored.webhook:
            self._wake.set()

    async def run(self) -> None:
        poll = self.settings.webhook_poll_interval_ms / 1000
        while True:
            self._wake.clear()
            try:
                if await self.work_once() >= self.settings.webhook_batch_size:
                    continue
            except Exception as exc:
                log.warning("webhook worker: %r", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), poll)

    async def work_once(self) -> int:
        """Claim a batch, POST each, record the outcomes; returns how many were tried."""
        if not (await self.db.fetchrow(store.ANY_DUE))[0]:
            return 0
        batch, lease = self.settings.webhook_batch_size, self.settings.webhook_lease_seconds
        attempts = await self.db.run(
            lambda session: store.claim(session, batch, timedelta(seconds=lease))
        )
        if not attempts:
            return 0
        allowed = self.settings.webhook_allowed_networks
        outcomes = await asyncio.gather(*(sender.post(self.client, a, allowed) for a in attempts))
        await self.db.run(lambda session: self._record(session, attempts, outcomes))
        return len(attempts)

    async def _record(self, session: Any, attempts: list[Attempt], outcomes: list[Outcome]) -> None:
        for attempt, outcome in zip(attempts, outcomes, strict=True):
            delay = self._retry_delay(attempt, outcome)
            await store.record(session, attempt, outcome, delay)
            WEBHOOK_ATTEMPTS.labels(_label(outcome, delay)).inc()
            if not outcome.delivered and delay is None:
                log.warning("webhook delivery %s is dead: %s", attempt.delivery_id, outcome.error)

    def _retry_delay(self, attempt: Attempt, outcome: Outcome) -> timedelta | None:
        if outcome.delivered or rules.is_dead(attempt.number, self.settings.webhook_max_attempts):
            return None
        seconds = rules.backoff_seconds(
            attempt.number,
            self.settings.webhook_backoff_base_ms / 1000,
            self.settings.webhook_backoff_max_ms / 1000,
        )
        return timedelta(seconds=seconds)


def _label(outcome: Outcome, delay: timedelta | None) -> str:
    if outcome.delivered:
        return "delivered"
    return "failed" if delay is not None else "dead"


def new_client(settings: Settings) -> httpx.AsyncClient:
    """Redirects are not followed (a 3xx is a failure): they could lead anywhere. No proxy
    from the environment either: the client connects to the address it checked."""
    return httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
    )
