"""The app factory's docs page (its files served by the service, no CDN) and its
redirects (never to the host a forged ``Host`` header names)."""

import re
from urllib.parse import urljoin

import httpx
from fastapi import APIRouter

from bourse.common.app import _relative, create_app

router = APIRouter(prefix="/api/v1/things")


@router.get("")
async def things() -> list[str]:
    return []


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
