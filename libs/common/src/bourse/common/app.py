"""The FastAPI app factory every service uses: problem+json errors, correlation ids,
metrics, ``/healthz``, ``/readyz``, ``/metrics``, Swagger UI at ``/docs`` (served without a
CDN); the service adds routers and a lifespan."""

import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
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
from bourse.common.metrics import metrics_endpoint, record_request

CORRELATION_HEADER = "x-correlation-id"
CORRELATION_KEY = CORRELATION_HEADER.encode()
# Swagger UI's files (swagger-ui-dist, as the fastapi-offline package ships them), served
# by the service itself under /swagger-ui/.
SWAGGER_ASSETS = "/swagger-ui"
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[Any]]


class EdgeMiddleware:
    """What every request passes through, in one layer (each layer costs every request):

    * the correlation id: ``X-Correlation-ID`` taken (or made), exposed to logs and
      outgoing messages through a context variable, and echoed in an HTTP response;
    * metrics by route template (HTTP), never by raw path: ids would explode the labels;
    * a redirect to the request's own host made relative: Starlette's trailing-slash
      redirect builds its absolute URL from the ``Host`` header, and a forged ``Host``
      must not send the client to another host.
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        cid = _correlation_id(scope)
        token = context.correlation_id.set(cid)
        try:
            if scope["type"] == "http":
                await self._http(scope, receive, send, cid)
            else:
                await self.app(scope, receive, send)
        finally:
            context.correlation_id.reset(token)

    async def _http(self, scope: Scope, receive: Receive, send: Send, cid: str) -> None:
        status = 500
        start = time.perf_counter()

        async def edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                if 300 <= status < 400:
                    message["headers"] = _relative_location(message.get("headers", []), scope)
                message.setdefault("headers", [])
                message["headers"].append((CORRELATION_KEY, cid.encode()))
            await send(message)

        try:
            await self.app(scope, receive, edge)
        finally:
            record_request(self.service, scope, status, time.perf_counter() - start)


def _correlation_id(scope: Scope) -> str:
    """The request's id (the last one, if the header is repeated), or a new one."""
    raw = ""
    for name, value in scope.get("headers", ()):
        if name == CORRELATION_KEY:
            raw = value[:100].decode("latin-1")
    return raw if raw and raw.isprintable() else str(uuid.uuid4())


def _relative_location(headers: Iterable[tuple[bytes, bytes]], scope: Scope) -> list[Any]:
    hosts = _own_hosts(scope)
    return [
        (name, _relative(value, hosts) if name.lower() == b"location" else value)
        for name, value in headers
    ]


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
        # Metrics are Prometheus's (bourse.common.metrics) and OpenTelemetry is never set
        # up: FastAPI's own telemetry would still look its providers up on every request
        # (5.5 us each here) to find that out.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    install_problem_handlers(app)
    install_docs(app)
    app.include_router(health_router(readiness or {}))
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    for router in routers:
        app.include_router(router)
    app.add_middleware(EdgeMiddleware, service=service)
    return app
