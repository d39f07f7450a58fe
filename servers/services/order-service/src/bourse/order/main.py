"""create_app() and its lifespan; nothing else."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select

from bourse.auth.verify import TokenVerifier, jwks_verifier
from bourse.common.app import create_app as create_service_app
from bourse.messaging.runtime import ServiceRuntime
from bourse.order import consumers
from bourse.order.api import positions
from bourse.order.api.routes import router
from bourse.order.config import Settings
from bourse.order.db import instruments
from bourse.order.entry import OrderEntry
from bourse.order.handlers.events import upsert_instruments
from bourse.order.session import SessionCloser

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, subscriptions=consumers.subscriptions(settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.verifier = verifier or jwks_verifier(settings)
        app.state.entry = OrderEntry(runtime.db, settings)
        async with runtime.lifespan(app):
            await _bootstrap_instruments(runtime, settings)
            task = None
            if settings.session_closer:
                task = asyncio.create_task(SessionCloser(runtime.db, settings).run())
            try:
                yield
            finally:
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    app = create_service_app(
        "order", routers=[router, positions.router], lifespan=lifespan, readiness=runtime.readiness
    )
    app.state.settings = settings
    return app


async def _bootstrap_instruments(runtime: ServiceRuntime, settings: Settings) -> None:
    """Instruments normally arrive as events; on a first start, ask stock-service once."""
    async with runtime.db.transaction() as session:
        known = await session.scalar(select(func.count()).select_from(instruments))
    if known:
        return
    try:
        async with httpx.AsyncClient(base_url=settings.stock_url, timeout=3) as client:
            response = await client.get("/api/v1/stocks")
            response.raise_for_status()
            items: list[dict[str, Any]] = response.json()["items"]
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        log.warning("instrument bootstrap from stock-service failed: %r", exc)
        return
    await upsert_instruments(runtime.db, items)
