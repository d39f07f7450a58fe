"""create_app() and its lifespan; nothing else."""

from pathlib import Path

from fastapi import FastAPI

from bourse.auth.verify import TokenVerifier, jwks_verifier
from bourse.common.app import create_app as create_service_app
from bourse.common.direct import serve_directly
from bourse.messaging.runtime import ServiceRuntime
from bourse.trader.api import direct, watchlists
from bourse.trader.api.routes import router
from bourse.trader.config import Settings
from bourse.trader.consumers import subscription

MIGRATIONS = Path(__file__).parent / "migrations"


def create_app(settings: Settings | None = None, verifier: TokenVerifier | None = None) -> FastAPI:
    """The service; ``verifier`` replaces the one that fetches user-service's JWKS."""
    settings = settings or Settings()
    runtime = ServiceRuntime(settings, subscriptions=[subscription(settings)])
    app = create_service_app(
        "trader",
        routers=[router, watchlists.router],
        lifespan=runtime.lifespan,
        readiness=runtime.readiness,
    )
    app.state.settings = settings
    app.state.verifier = verifier or jwks_verifier(settings)
    serve_directly(app, direct.ROUTES)
    return app
