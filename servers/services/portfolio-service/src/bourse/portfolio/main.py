"""create_app() and its lifespan; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from bourse.auth.verify import TokenVerifier, jwks_verifier
from bourse.common.app import create_app as create_service_app
from bourse.common.direct import serve_directly
from bourse.messaging.runtime import ServiceRuntime
from bourse.portfolio import queries
from bourse.portfolio.api import direct, routes, ws
from bourse.portfolio.config import Settings
from bourse.portfolio.consumers import subscription
from bourse.portfolio.live.feed import LiveFeed
from bourse.portfolio.live.hub import Hub
from bourse.portfolio.sampler import sample_forever

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
    runtime = ServiceRuntime(settings, [subscription(settings)], relay=relay)
    hub = Hub(lambda user_id: queries.load_book(runtime.db, user_id))
    feed = LiveFeed(hub)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan(app):
            await feed.start(runtime.broker)
            interval = settings.equity_sample_interval_s
            runtime.spawn(lambda: sample_forever(runtime.db, interval), "equity sampler")
            try:
                yield
            finally:
                await feed.stop()

    app = create_service_app(
        "portfolio",
        routers=[routes.router, ws.router],
        lifespan=lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    app.state.verifier = verifier or jwks_verifier(settings)
    app.state.hub = hub
    serve_directly(app, direct.ROUTES)
    return app
