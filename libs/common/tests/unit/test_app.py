"""The app factory's docs page (its files served by the service, no CDN), its redirects
(never to the host a forged ``Host`` header names), and what its edge layer adds to every
request: the correlation id, echoed or made, seen by the handler, and the metrics by
route template."""

import re
import uuid
from urllib.parse import urljoin

import httpx
from fastapi import APIRouter

from bourse.common import context
from bourse.common.app import _relative, create_app
from bourse.common.metrics import HTTP_REQUESTS

router = APIRouter(prefix="/api/v1/things")


@router.get("")
async def things() -> list[str]:
    return []


@router.get("/{thing_id}")
async def thing(thing_id: int) -> dict[str, str | None]:
    return {"correlation_id": context.correlation_id.get()}


def client() -> httpx.AsyncClient:
    app = create_app("test", routers=[router])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc")


def references(html: str) -> list[str]:
    """Every URL the page loads: src=, href=, and Swagger UI's ``url:``."""
    found = re.finditer(r"""(?:src|href)="([^"]+)"|url: '([^']+)'""", html)
    return [match.group(1) or match.group(2) for match in found]


async def test_the_docs_page_loads_nothing_from_another_host() -> None:
    async with client() as http:
        page = await http.get("/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert not re.search(r"https?://", page.text)  # no CDN, no validator badge
        urls = references(page.text)
        assert set(urls) == {
            "swagger-ui/swagger-ui.css",
            "swagger-ui/favicon.png",
            "swagger-ui/swagger-ui-bundle.js",
            "openapi.json",
        }
        for url in urls:  # relative: resolved against the page, as a browser does
            asset = await http.get(urljoin("http://svc/docs", url))
            assert asset.status_code == 200, url
            assert asset.content
        assert (
            (await http.get("/swagger-ui/swagger-ui-bundle.js"))
            .headers["content-type"]
            .startswith(("application/javascript", "text/javascript"))
        )
        assert (await http.get("/redoc")).status_code == 404


def test_the_docs_urls_also_work_behind_a_path_prefix() -> None:
    """nginx serves the page at /docs/<service>/ and proxies that prefix to the service."""
    for url in ("swagger-ui/swagger-ui-bundle.js", "openapi.json"):
        assert urljoin("http://edge/docs/order/", url) == f"http://edge/docs/order/{url}"
        assert urljoin("http://svc/docs", url) == f"http://svc/{url}"


async def test_a_redirect_never_names_the_requests_host() -> None:
    async with client() as http:
        slash = await http.get("/api/v1/things/?x=1", headers={"Host": "evil.example"})
        assert slash.status_code == 307
        assert slash.headers["location"] == "/api/v1/things?x=1"
        direct = await http.get("/api/v1/things/")
        assert direct.headers["location"] == "/api/v1/things"


def test_only_redirects_to_the_requests_own_host_are_made_relative() -> None:
    own = frozenset({"evil.example:8080", "evil.example", "127.0.0.1:8003"})
    assert _relative(b"http://evil.example:8080/a/b?c=d#e", own) == b"/a/b?c=d#e"
    assert _relative(b"http://EVIL.example", own) == b"/"
    assert _relative(b"http://127.0.0.1:8003/docs", own) == b"/docs"
    assert _relative(b"https://elsewhere.example/x", own) == b"https://elsewhere.example/x"
    assert _relative(b"/already/relative", own) == b"/already/relative"


async def test_the_correlation_id_is_the_callers_or_a_new_one_and_the_handler_sees_it() -> None:
    async with client() as http:
        given = await http.get("/api/v1/things/1", headers={"X-Correlation-ID": "abc-1"})
        assert given.headers["x-correlation-id"] == "abc-1"
        assert given.json() == {"correlation_id": "abc-1"}
        for headers in ({}, {"X-Correlation-ID": "bad\x01id"}):
            made = await http.get("/api/v1/things/1", headers=headers)
            cid = made.headers["x-correlation-id"]
            assert str(uuid.UUID(cid)) == cid and made.json() == {"correlation_id": cid}


def requests_counted(route: str, status: str) -> float:
    counted: float = HTTP_REQUESTS.labels("test", "GET", route, status)._value.get()
    return counted


async def test_requests_are_counted_by_route_template_and_status() -> None:
    template = "/api/v1/things/{thing_id}"
    before = requests_counted(template, "200"), requests_counted(template, "422")
    async with client() as http:
        for path in ("/api/v1/things/1", "/api/v1/things/2", "/api/v1/things/x"):
            await http.get(path)
    assert requests_counted(template, "200") == before[0] + 2
    assert requests_counted(template, "422") == before[1] + 1
