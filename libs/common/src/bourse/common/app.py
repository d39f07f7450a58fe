"""The FastAPI app factory every service uses: problem+json errors, correlation ids,
metrics, ``/healthz``, ``/readyz``, ``/metrics``, Swagger UI at ``/docs`` (served without a
CDN); the service adds routers and a lifespan."""

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bourse.common import context
from bourse.common.errors import install_problem_handlers
from bourse.common.health import ReadinessCheck, health_router
from bourse.common.metrics import MetricsMiddleware, metrics_endpoint

CORRELATION_HEADER = "x-correlation-id"
# Swagger UI's files (swagger-ui-dist, as the fastapi-offline package ships them), served
# by the service itself under /swagger-ui/.
SWAGGER_ASSETS = "/swagger-ui"
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


class CorrelationMiddleware:
    """Takes ``X-Correlation-ID`` (or makes one), exposes it to logs and outgoing messages
    through a context variable, and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        raw = headers.get(CORRELATION_HEADER.encode(), b"")[:100].decode("latin-1")
        cid = raw if raw.isprintable() and raw else str(uuid.uuid4())
        token = context.correlation_id.set(cid)

        async def add_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"].append((CORRELATION_HEADER.encode(), cid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, add_header)
        finally:
            context.correlation_id.reset(token)


class RelativeRedirectMiddleware:
    """A redirect to the request's own host (Starlette's trailing-slash redirect builds
    its absolute URL from the ``Host`` header) becomes a relative one: a forged ``Host``
    cannot send the client to another host."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        hosts = _own_hosts(scope)

        async def relative(message: Message) -> None:
            if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
                message["headers"] = [
                    (name, _relative(value, hosts) if name.lower() == b"location" else value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, relative)


def _own_hosts(scope: Scope) -> frozenset[str]:
    """The names Starlette builds a URL of the request with: its ``Host`` header, or
    (without one) the address it was received on."""
    host = dict(scope.get("headers", ())).get(b"host", b"").decode("latin-1").lower()
    server = scope.get("server")
    own = {host} if host else set()
    if server:
        own.add(f"{server[0]}:{server[1]}".lower())
    return frozenset(own)


def _relative(location: bytes, hosts: frozenset[str]) -> bytes:
    """``location`` without its scheme and host when that host is one of ``hosts``."""
    parts = urlsplit(location.decode("latin-1"))
    if not parts.scheme or parts.netloc.lower() not in hosts:
        return location
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{path}{query}{fragment}".encode("latin-1")


def swagger_assets() -> Path:
    """The directory of swagger-ui-bundle.js, swagger-ui.css and favicon.png."""
    return Path(str(files("fastapi_offline") / "static"))


def install_docs(app: FastAPI) -> None:
    """Swagger UI at ``/docs`` with its files served by the service (no CDN: the docs
    render on a machine without internet). Every URL in the page is relative, so it works
    both at ``/docs`` on the service and at ``/docs/<service>/`` behind nginx."""
    app.mount(SWAGGER_ASSETS, StaticFiles(directory=swagger_assets()), name="swagger-ui")
    title = f"{app.title} - Swagger UI"
    assets = SWAGGER_ASSETS.lstrip("/")

    async def docs(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="openapi.json",
            title=title,
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
            # no "valid" badge fetched from swagger.io
            swagger_ui_parameters={"validatorUrl": None},
        )

    app.add_route("/docs", docs, include_in_schema=False)


@asynccontextmanager
async def _no_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield


def create_app(
    service: str,
    *,
    routers: Sequence[APIRouter] = (),
    lifespan: Lifespan | None = None,
    readiness: dict[str, ReadinessCheck] | None = None,
    version: str = "0.1.0",
) -> FastAPI:
    app = FastAPI(
        title=f"Bourse {service}",
        version=version,
        lifespan=lifespan or _no_lifespan,
        openapi_url="/openapi.json",
        docs_url=None,  # install_docs: self-hosted assets, relative URLs
        redoc_url=None,  # one docs UI
    )
    install_problem_handlers(app)
    install_docs(app)
    app.include_router(health_router(readiness or {}))
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    app.add_middleware(MetricsMiddleware, service=service)
    app.add_middleware(CorrelationMiddleware)
    app.add_middleware(RelativeRedirectMiddleware)
    return app
