"""create_app() and its lifespan; nothing else."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from bourse.auth.verify import TokenVerifier, jwks_verifier
from bourse.auto.api import alerts, recurring
from bourse.auto.clock import Clock, system_clock
from bourse.auto.config import Settings
from bourse.auto.consumers import subscription
from bourse.auto.handlers.instruments import any_known, upsert_listed
from bourse.auto.scheduler import Hook, Scheduler
from bourse.common.app import create_app as create_service_app
from bourse.messaging.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    verifier: TokenVerifier | None = None,
    *,
    clock: Clock = system_clock,
    relay: bool = True,
    scheduler: bool = True,
    before_commit: Hook | None = None,
) -> FastAPI:
    """``verifier`` replaces the one that fetches user-service's JWKS; tests also pass a
    ``clock``, ``relay=False`` (staged events stay in the outbox to be read),
    ``scheduler=False`` (no background scheduler; ``app.state.scheduler.tick()`` still
    works) and ``before_commit`` (see :class:`Scheduler`)."""
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, [subscription(settings)], relay=relay)
    runs = Scheduler(
        runtime.db,
        clock,
        batch=settings.scheduler_batch,
        interval=settings.scheduler_interval,
        before_commit=before_commit,
        session_calendar=settings.calendar.calendar() if settings.runs_in_session_only else None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            await _bootstrap_instruments(runtime, settings)
            if scheduler:
                runtime.spawn(runs.run_forever, "scheduler")
            yield

    app = create_service_app(
        "auto",
        routers=[recurring.router, alerts.router],
        lifespan=lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    app.state.verifier = verifier or jwks_verifier(settings)
    app.state.clock = clock
    app.state.scheduler = runs
    return app


async def _bootstrap_instruments(runtime: ServiceRuntime, settings: Settings) -> None:
    """Instruments normally arrive as events; on a first start, ask stock-service once."""
    if await any_known(runtime.db):
        return
    try:
        async with httpx.AsyncClient(base_url=settings.stock_url, timeout=3) as client:
            response = await client.get("/api/v1/stocks")
            response.raise_for_status()
            items: list[dict[str, Any]] = response.json()["items"]
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("instrument bootstrap from stock-service failed: %r", exc)
        return
    await upsert_listed(runtime.db, items)
