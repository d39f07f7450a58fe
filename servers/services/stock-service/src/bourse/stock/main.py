"""create_app() and its lifespan; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI

from bourse.auth.verify import TokenVerifier, jwks_verifier
from bourse.common.app import create_app as create_service_app
from bourse.common.direct import serve_directly
from bourse.messaging.runtime import ServiceRuntime
from bourse.stock import market, queries
from bourse.stock.api import admin, calendar, direct, ws
from bourse.stock.api import market as market_api
from bourse.stock.config import Settings
from bourse.stock.consumers import market_subscription
from bourse.stock.handlers.http import announce_instruments
from bourse.stock.live.feed import MarketFeed, close_bars_forever
from bourse.stock.live.hub import MarketHub

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(
    settings: Settings | None = None,
    *,
    verifier: TokenVerifier | None = None,
    relay: bool = True,
) -> FastAPI:
    """``verifier``: tests pass one over an in-memory JWKS; ``relay=False`` leaves staged
    events in the outbox (tests inspect it)."""
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, [market_subscription(settings)], relay=relay)
    hub = MarketHub(lambda symbols: queries.existing_symbols(runtime.db, symbols))
    feed = MarketFeed(hub, lambda: queries.live_seed(runtime.db, datetime.now(UTC)))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            await runtime.db.run(announce_instruments)
            throttle = settings.price_publish_interval
            runtime.spawn(lambda: market.flush_forever(runtime.db, throttle), "price flush")
            await feed.start(runtime.broker)
            grace = settings.market_bar_grace
            runtime.spawn(lambda: close_bars_forever(hub, grace), "bar clock")
            try:
                yield
            finally:
                await feed.stop()

    app = create_service_app(
        "stock",
        routers=[market_api.router, admin.router, calendar.router, ws.router],
        lifespan=lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    app.state.market_hub = hub
    app.state.verifier = verifier or jwks_verifier(settings)
    serve_directly(app, direct.ROUTES)
    return app
