"""The browser trading terminal end to end: nginx serves the built app at / (client-side
routes, immutable hashed assets, the app's CSP), then its Playwright specs
(servers/web-terminal/e2e, ``npm run test:e2e``) drive Debian's Chromium against this
instance's gateway.

What the specs get in their environment:
  BOURSE_BASE_URL        the gateway (nginx) of the e2e instance
  CHROMIUM_PATH          the browser (default /usr/bin/chromium; make bootstrap installs it)
  BOURSE_ADMIN_EMAIL     an admin account (user-service's admin_emails), registered and
  BOURSE_ADMIN_PASSWORD  checked here; the specs log in with it to list their instruments
                         (not a ready BOURSE_ADMIN_TOKEN: an access token lives 15 minutes,
                         a slow run of the specs may outlive it)
  BOURSE_SCREENSHOTS_DIR passed on when set: where the specs save their screenshots
                         (default: servers/web-terminal/test-results/screenshots;
                         $PWD/docs/screenshots refreshes README's pictures)
"""

import asyncio
import collections
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest

from bourse.testing.api import ADMIN_EMAIL, ADMIN_PASSWORD, signup

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "servers" / "web-terminal"
TIMEOUT = float(os.environ.get("BOURSE_WEB_E2E_TIMEOUT", "1200"))
TAIL = 120  # lines of output shown when the specs fail


@pytest.fixture(scope="module")
def built(stack: str) -> None:
    """The app's dist/ is current: up.sh built it, but a reused stack (BOURSE_E2E_REUSE)
    may serve an older build; nginx serves dist/ as it is, so a rebuild is enough."""
    if not (APP / "package.json").exists():
        pytest.skip("no servers/web-terminal in this checkout yet")
    done = subprocess.run(
        [str(ROOT / "scripts" / "web-terminal.sh"), "build"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-TAIL:])
        pytest.fail(f"scripts/web-terminal.sh build failed:\n{output}")


async def test_the_gateway_serves_the_terminal(api: httpx.AsyncClient, built: None) -> None:
    page = await api.get("/")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.text)
    assert assets, page.text
    for asset in assets:
        answer = await api.get(asset, headers={"Accept-Encoding": "gzip"})
        assert answer.status_code == 200, asset
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert answer.headers.get("content-encoding") == "gzip", asset
    # a client-side route is the app; the API and its unknown paths are not
    deep = await api.get("/portfolio")
    assert deep.status_code == 200 and deep.text == page.text
    missing = await api.get("/api/v1/nope")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    market = await api.get("/api/v1/stocks")
    assert market.status_code == 200 and "items" in market.json()


async def test_the_playwright_specs_pass(
    api: httpx.AsyncClient, stack: str, built: None, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = re.compile(r"\.(spec|test)\.[cm]?[jt]s$")
    specs = [p for p in (APP / "e2e").rglob("*") if spec.search(p.name)]
    assert specs, "no Playwright spec in servers/web-terminal/e2e (*.spec.ts)"
    admin = await signup(api, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert admin.token  # the account exists and logs in
    env = {
        **{k: v for k, v in os.environ.items() if k != "BOURSE_ADMIN_TOKEN"},
        "BOURSE_BASE_URL": stack,
        "CHROMIUM_PATH": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "BOURSE_ADMIN_EMAIL": ADMIN_EMAIL,
        "BOURSE_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
        "CI": "1",  # Playwright: test.only fails the run
        "FORCE_COLOR": "0",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    with capsys.disabled():  # the specs take minutes: show their progress as it comes
        status, tail = await asyncio.to_thread(_run_streaming, ["npm", "run", "test:e2e"], env)
    assert status == 0, f"npm run test:e2e failed (exit {status}); last lines:\n{tail}"


def _run_streaming(command: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run ``command`` in the app's folder, every line of its output echoed as it comes
    (on stdout); (exit status, the last TAIL lines). Killed, with its browsers, after
    TIMEOUT seconds."""
    last: collections.deque[str] = collections.deque(maxlen=TAIL)
    process = subprocess.Popen(
        command,
        cwd=APP,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: a timeout kills Chromium too
    )
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        os.killpg(process.pid, signal.SIGKILL)

    watchdog = threading.Timer(TIMEOUT, kill)
    watchdog.start()
    with process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                last.append(line.rstrip("\n"))
                sys.stdout.write(f"  | {line}")
                sys.stdout.flush()
        finally:
            watchdog.cancel()
    if timed_out.is_set():
        last.append(f"(killed: still running after {TIMEOUT:.0f}s)")
    return process.returncode, "\n".join(last)
