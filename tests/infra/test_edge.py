"""The edge for real: nginx/nginx.conf.template rendered as ``make up`` renders it, run by
nginx in front of a service app made by bourse.common's factory (under uvicorn). Every
answer, errors included, carries the security headers; the caller's data is no-store;
no redirect names the request's Host; the docs and their files come through
/docs/<service>/ with nothing loaded from another host."""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from fastapi import APIRouter, Response

from bourse.common.app import create_app
from bourse.stack.render import NGINX_INCLUDES, fill, nginx_docs
from bourse.stack.services import SERVICES
from bourse.testing.app import served

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
pytestmark = pytest.mark.skipif(
    NGINX is None, reason="nginx is not installed (make bootstrap installs it)"
)
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "content-security-policy": "frame-ancestors 'none'",
}
DOWN = "auto"  # its upstream is a port nobody listens on: 502

router = APIRouter()


@router.get("/api/v1/account")
async def account() -> dict[str, str]:
    return {"cash": "100.00"}


@router.get("/api/v1/stocks")
async def stocks() -> list[str]:
    return []


@router.get("/api/v1/auth/jwks")
async def jwks(response: Response) -> dict[str, list[str]]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return {"keys": []}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[int]:
    """A service app (the shared factory: docs, redirects) on a free local port."""
    async with served(create_app("edge", routers=[router])) as port:
        yield port


def _render(var: Path, port: int, upstream: int) -> None:
    groups = dict.fromkeys(s.service for s in SERVICES if s.public)
    names = [s.name for s in SERVICES if s.public and s.first]
    ports = {group: _free_port() if group == DOWN else upstream for group in groups}
    upstreams = "\n".join(
        f"    upstream {group} {{ server 127.0.0.1:{port}; }}" for group, port in ports.items()
    )
    values = {
        "nginx_var": str(var),
        "port": str(port),
        "workers": "1",
        "auth_rate": "1r/s",  # the third request in a row is a 429
        "auth_burst": "1",
        "api_rate": "2000r/s",
        "api_burst": "4000",
        "upstreams": upstreams,
        "docs": nginx_docs(names),
        "web_root": str(var / "web"),
    }
    template = (ROOT / "nginx" / "nginx.conf.template").read_text()
    (var / "nginx.conf").write_text(fill(template, values))
    for include in NGINX_INCLUDES:
        shutil.copyfile(ROOT / "nginx" / include, var / include)
    for directory in ("logs", "tmp"):
        (var / directory).mkdir()
    _fake_terminal_build(var / "web")


INDEX = '<!doctype html><script type="module" src="/assets/index-3f2a9c1b.js"></script>'
SCRIPT = "export const terminal = 1;\n" + "// padding, so that gzip applies\n" * 100


def _fake_terminal_build(web: Path) -> None:
    """What npm run build writes (servers/web-terminal/dist): index.html, hashed assets."""
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text(INDEX)
    (web / "assets" / "index-3f2a9c1b.js").write_text(SCRIPT)
    (web / "assets" / "index-77aa01cd.css").write_text("body { margin: 0; }\n")
    (web / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    for path in web.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    web.chmod(0o755)


@pytest.fixture(scope="module")
def edge(upstream: int) -> Iterator[str]:
    """nginx on the rendered template; its base URL."""
    assert NGINX is not None
    var = Path(tempfile.mkdtemp(prefix="bourse-edge-"))
    var.chmod(0o755)  # nginx's workers (nobody, under root) use its temp directories
    port = _free_port()
    _render(var, port, upstream)
    command = [NGINX, "-p", f"{var}/", "-c", str(var / "nginx.conf"), "-e", str(var / "err.log")]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)
        shutil.rmtree(var, ignore_errors=True)


def _wait_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx exited: {process.stderr.read() if process.stderr else ''}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    pytest.fail("nginx did not listen in 10 s")


@pytest.fixture
async def http(edge: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=edge, timeout=10) as client:
        yield client


def assert_secured(response: httpx.Response) -> None:
    for name, value in SECURITY.items():
        assert response.headers.get_list(name) == [value], (response.url, name)
    assert response.headers.get("x-correlation-id")


async def test_the_callers_data_is_never_stored(http: httpx.AsyncClient) -> None:
    answer = await http.get("/api/v1/account")
    assert answer.status_code == 200
    assert_secured(answer)
    assert answer.headers.get_list("cache-control") == ["no-store"]


async def test_public_answers_keep_their_own_caching(http: httpx.AsyncClient) -> None:
    market = await http.get("/api/v1/stocks")
    assert market.status_code == 200 and "cache-control" not in market.headers
    assert_secured(market)
    keys = await http.get("/api/v1/auth/jwks")
    assert keys.headers.get_list("cache-control") == ["public, max-age=300"]  # the service's
    assert_secured(keys)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/nowhere", 404),
        ("/ws/nowhere", 404),
        ("/docs/nowhere", 404),
        (f"/api/v1/{DOWN}/runs", 502),
        ("/api/v1/account/x/y", 404),
    ],
)
async def test_errors_carry_the_security_headers(
    http: httpx.AsyncClient, path: str, status: int
) -> None:
    answer = await http.get(path)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert_secured(answer)


async def test_a_rate_limited_answer_carries_them_too(http: httpx.AsyncClient) -> None:
    answers = [await http.post("/api/v1/auth/login", json={}) for _ in range(4)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert limited[0].headers["retry-after"] == "1"
    assert_secured(limited[0])


@pytest.mark.parametrize("path", ["/docs/order", "/api/v1/account/?x=1"])
async def test_no_redirect_names_a_forged_host(http: httpx.AsyncClient, path: str) -> None:
    """nginx's own (/docs/<service> -> /docs/<service>/) and the service's (a trailing
    slash): both relative."""
    moved = await http.get(path, headers={"Host": "evil.example"})
    assert 300 <= moved.status_code < 400
    location = moved.headers["location"]
    assert location.startswith("/") and not location.startswith("//"), location
    assert "evil.example" not in location
    assert_secured(moved)


async def test_the_docs_and_their_files_come_through_the_edge(http: httpx.AsyncClient) -> None:
    moved = await http.get("/docs/order")
    assert (moved.status_code, moved.headers["location"]) == (301, "/docs/order/")
    page = await http.get("/docs/order/")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert not re.search(r"https?://", page.text), "the page loads something from elsewhere"
    urls = re.findall(r"""(?:src|href)="([^"]+)"|url: '([^']+)'""", page.text)
    assert len(urls) == 4
    for url in (a or b for a, b in urls):
        asset = await http.get(urljoin("/docs/order/", url))
        assert asset.status_code == 200, url
        assert_secured(asset)
    schema: dict[str, Any] = (await http.get("/docs/order/openapi.json")).json()
    assert schema["openapi"].startswith("3.")
    index = (await http.get("/docs")).json()
    assert index["order"] == "/docs/order/"
    for hidden in ("/docs/order/metrics", "/docs/order/healthz", "/docs/order/api/v1/account"):
        assert (await http.get(hidden)).status_code == 404, hidden


def test_the_render_matches_the_committed_copy_for_compose() -> None:
    """The compose copy carries the same headers and redirect rule as the template."""
    conf = (ROOT / "infra" / "docker" / "nginx" / "nginx.conf").read_text()
    assert "include /etc/nginx/bourse/response-headers.conf;" in conf
    assert "absolute_redirect off;" in conf
    assert os.path.exists(ROOT / "nginx" / "response-headers.conf")


# -- the browser terminal at / (nginx/web-terminal.conf) --------------------------------------


def assert_terminal_headers(response: httpx.Response, cache: str) -> None:
    """The API's security headers but the app's CSP, and the given Cache-Control."""
    for name, value in SECURITY.items():
        if name != "content-security-policy":
            assert response.headers.get_list(name) == [value], (response.url, name)
    [policy] = response.headers.get_list("content-security-policy")
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no inline script, no other host
    assert directives["frame-ancestors"] == "'none'"
    host = response.request.headers["host"]
    assert directives["connect-src"] == f"'self' ws://{host} wss://{host}"
    assert response.headers.get_list("cache-control") == [cache]
    assert response.headers.get("x-correlation-id")


@pytest.mark.parametrize("path", ["/", "/index.html", "/orders", "/symbols/ACME/book"])
async def test_the_terminal_page_and_its_client_routes(http: httpx.AsyncClient, path: str) -> None:
    page = await http.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text == INDEX
    assert_terminal_headers(page, "no-cache")


async def test_hashed_assets_are_cached_for_good_and_compressed(http: httpx.AsyncClient) -> None:
    script = await http.get("/assets/index-3f2a9c1b.js", headers={"Accept-Encoding": "gzip"})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert script.headers["content-encoding"] == "gzip"
    assert script.text == SCRIPT  # httpx decompresses
    assert_terminal_headers(script, "public, max-age=31536000, immutable")
    style = await http.get("/assets/index-77aa01cd.css")
    assert style.headers["content-type"].startswith("text/css")
    icon = await http.get("/favicon.svg")
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert_terminal_headers(icon, "no-cache")


async def test_a_missing_asset_is_a_404_not_the_page(http: httpx.AsyncClient) -> None:
    missing = await http.get("/assets/index-00000000.js")
    assert missing.status_code == 404
    assert INDEX not in missing.text


async def test_the_api_keeps_its_own_headers_beside_the_terminal(http: httpx.AsyncClient) -> None:
    answer = await http.get("/api/v1/account")
    assert_secured(answer)  # frame-ancestors only: the terminal's CSP is not the API's
    assert answer.headers.get_list("cache-control") == ["no-store"]
