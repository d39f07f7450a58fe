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
from bourse.common.direct import serve_directly
from bourse.common.listen import Listener
from bourse.messaging.runtime import ServiceRuntime
from bourse.order import consumers
from bourse.order.api import direct, positions, trade_updates
from bourse.order.api.routes import router
from bourse.order.config import Settings
from bourse.order.db import instruments
from bourse.order.entry import OrderEntry
from bourse.order.handlers.events import upsert_instruments
from bourse.order.handlers.trade_updates import TradeUpdatesLog, run_pruner
from bourse.order.live.trade_updates import TradeUpdatesHub
from bourse.order.session import SessionCloser
from bourse.order.store.trade_updates import CHANNEL as TRADE_UPDATES

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(
        settings,
        subscriptions=consumers.subscriptions(settings),
        observers=[TradeUpdatesLog()],  # every order event staged is a trade update too
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.verifier = verifier or jwks_verifier(settings)
        app.state.entry = OrderEntry(runtime.db, settings)
        async with runtime.lifespan(app):
            _serve_trade_updates(app, runtime, settings)
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
        "order",
        routers=[router, positions.router, trade_updates.router],
        lifespan=lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    serve_directly(app, direct.ROUTES)
    return app


def _serve_trade_updates(app: FastAPI, runtime: ServiceRuntime, settings: Settings) -> None:
    """/ws/trade-updates: the instance's LISTEN connection wakes its hub when any
    instance stores updates; old updates are pruned."""
    listener = Listener(settings.database_url)
    hub = TradeUpdatesHub(runtime.db, settings.trade_updates_queue_size)
    listener.on_channel(TRADE_UPDATES, hub.on_notified)
    listener.on_reconnected(hub.on_reconnected)
    app.state.listener, app.state.trade_updates = listener, hub
    runtime.spawn(listener.run, "trade updates listener")
    runtime.spawn(hub.run, "trade updates hub")
    runtime.spawn(lambda: run_pruner(runtime.db, settings), "trade updates pruner")


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
