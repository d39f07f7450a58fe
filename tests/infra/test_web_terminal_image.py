"""The browser terminal's image (infra/docker/web-terminal/Dockerfile): node builds the app
from its lock, nginx serves it non-root; its build context keeps what it copies; and its
own nginx config (terminal.conf, what Kubernetes runs) serves the app as the edge does,
run here by this machine's nginx with the image's paths mapped to a temporary directory."""

import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bourse.stack.manifests.units import NGINX_IMAGE

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "infra" / "docker" / "web-terminal" / "Dockerfile").read_text()
TERMINAL_CONF = ROOT / "infra" / "docker" / "web-terminal" / "nginx.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
INDEX = '<!doctype html><div id="root"></div><script type="module" src="/assets/app-1.js">'


def test_node_builds_from_the_lock_and_nginx_serves_non_root() -> None:
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", DOCKERFILE, re.MULTILINE)
    assert stages == [("${NODE_IMAGE}", "build"), ("${NGINX_IMAGE}", "runtime")]
    build, runtime = DOCKERFILE.split(" AS runtime", 1)
    # the lock first (a cached layer while only sources change), npm ci, no browser download
    assert "COPY servers/web-terminal/package.json servers/web-terminal/package-lock.json" in build
    assert "npm ci" in build and "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1" in build
    assert "npm run build" in build
    assert "COPY --from=build /src/servers/web-terminal/dist /usr/share/bourse/web-terminal" in (
        runtime
    )
    assert re.search(r"^USER 101:101$", runtime, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*/healthz", runtime, re.MULTILINE | re.DOTALL)
    assert "node" not in runtime.replace("NODE_IMAGE", ""), "no Node.js in the final image"


def test_the_nginx_image_is_the_edges() -> None:
    assert f"ARG NGINX_IMAGE={NGINX_IMAGE}" in DOCKERFILE


def test_the_context_keeps_what_the_build_copies() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    sources = []
    for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.MULTILINE):
        sources += [s.rstrip("/") for s in line.split()[:-1] if not s.startswith("--")]
    assert sources
    for source in sources:
        assert any(source == k or source.startswith(k + "/") for k in kept), source
    # never the local dependencies or outputs (npm ci and the build make their own)
    assert {"**/node_modules/", "**/dist/"} <= set(ignore)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 10
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"nginx did not start: {process.stderr.read() if process.stderr else ''}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def terminal() -> Iterator[str]:
    """terminal.conf under this machine's nginx: the image's paths in a temporary directory."""
    if NGINX is None:
        pytest.skip("nginx is not installed (make bootstrap installs it)")
    # not under pytest's own (0700) directories: nginx's workers (nobody, under root) read
    var = Path(tempfile.mkdtemp(prefix="bourse-terminal-"))
    var.chmod(0o755)
    web = var / "web"
    (web / "assets").mkdir(parents=True)
    (web / "index.html").write_text(INDEX)
    (web / "assets" / "app-1.js").write_text("export {};\n")
    for path in (web, web / "assets", *web.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    port = _free_port()
    conf = TERMINAL_CONF.read_text()
    for old, new in (
        ("/tmp/", f"{var}/"),  # first: var itself is under /tmp
        ("/usr/share/bourse/web-terminal", str(web)),
        ("listen 8080;", f"listen 127.0.0.1:{port};"),
        ("/dev/stdout", f"{var}/access.log"),
    ):
        assert old in conf, old
        conf = conf.replace(old, new)
    (var / "nginx.conf").write_text(conf)
    for include in ("web-terminal.conf", "web-headers.conf"):
        shutil.copy(ROOT / "nginx" / include, var / include)
    command = [NGINX, "-p", f"{var}/", "-c", str(var / "nginx.conf"), "-e", str(var / "err.log")]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        _wait_listening(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)
        shutil.rmtree(var, ignore_errors=True)


def test_terminal_conf_serves_the_app_and_its_probes(terminal: str) -> None:
    with httpx.Client(base_url=terminal, timeout=5) as http:
        for path in ("/", "/portfolio", "/symbols/ACME"):
            page = http.get(path)
            assert (page.status_code, page.text) == (200, INDEX), path
            assert page.headers["cache-control"] == "no-cache"
            assert "default-src 'self'" in page.headers["content-security-policy"]
        asset = http.get("/assets/app-1.js")
        assert asset.headers["content-type"].startswith("text/javascript")
        assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert http.get("/assets/app-2.js").status_code == 404
        for probe in ("/healthz", "/readyz"):
            assert http.get(probe).json() == {"status": "ok"}
        # behind the Ingress an unknown API path reaches this pod: a problem, not the app
        missing = http.get("/api/v1/nope")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["code"] == "not_found"
