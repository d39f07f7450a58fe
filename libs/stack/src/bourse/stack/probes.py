"""Is the stack up? Our supervisord's view of its programs (over its unix socket), each
service's /readyz, the gateway; ``wait`` until every program is ready, ``check`` now."""

from __future__ import annotations

import contextlib
import http.client
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from bourse.stack.instance import API_BASE, GATEWAY, HOST, LOG_DIR, SUPERVISOR_SOCKET
from bourse.stack.services import BY_NAME

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """(status, start of the body); status 0 and the reason when nothing answered."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return int(response.status), response.read(400).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, exc.read(400).decode(errors="replace")
        finally:
            exc.close()
    except urllib.error.URLError as exc:
        return 0, str(exc.reason)
    except (OSError, http.client.HTTPException) as exc:
        return 0, repr(exc)


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def listener(port: int) -> str:
    """Who listens on ``port`` (from ss, when it is there)."""
    ss = shutil.which("ss")
    if ss is None:
        return "unknown process"
    out = subprocess.run(
        [ss, "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    found = re.findall(r'\("([^"]+)",pid=(\d+)', out)
    return ", ".join(f"{name} (pid {pid})" for name, pid in found) or "unknown process"


@contextlib.contextmanager
def supervisor() -> Iterator[Any]:
    """An XML-RPC proxy to our supervisord (over its unix socket), closed after use."""
    from supervisor.xmlrpc import SupervisorTransport  # noqa: PLC0415 (dev dependency)

    transport = SupervisorTransport(None, None, f"unix://{SUPERVISOR_SOCKET}")
    try:
        yield xmlrpc.client.ServerProxy(f"http://{HOST}", transport=transport)
    finally:
        transport.close()


def process_states() -> dict[str, dict[str, Any]] | None:
    """Supervisor's view of every program, or None when supervisord does not answer."""
    if not SUPERVISOR_SOCKET.exists():
        return None
    try:
        with supervisor() as proxy:
            infos = proxy.supervisor.getAllProcessInfo()
    except (OSError, xmlrpc.client.Error, http.client.HTTPException):
        return None
    return {str(info["name"]): info for info in infos}


def log_tail(name: str, lines: int = 15) -> str:
    path = LOG_DIR / f"{name}.log"
    if not path.exists():
        return "    (no log yet)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return "\n".join(f"    | {line}" for line in text)


def gateway_probe(ready: set[str], pending: set[str]) -> str | None:
    """What proves that nginx routes to the services: /api/v1/stocks once the stock
    service is ready (None while it is still starting); /healthz when it is absent."""
    if "stock" in ready:
        return f"{API_BASE}/stocks"
    if "stock" in pending:
        return None
    return f"{GATEWAY}/healthz"


def _state_text(info: Mapping[str, Any] | None) -> str:
    if info is None:
        return "not configured"
    text = str(info["statename"])
    if info.get("spawnerr"):
        text += f" ({info['spawnerr']})"
    elif text in ("EXITED", "BACKOFF", "FATAL"):
        text += f" (last exit status {info.get('exitstatus')})"
    return text


def _progress(name: str, info: Mapping[str, Any] | None) -> str:
    text = _state_text(info)
    service = BY_NAME.get(name)
    if service is not None and info is not None and info["statename"] == "RUNNING":
        status, body = http_get(service.readyz)
        text += f", readyz {status}" if status else f", readyz: {body}"
    return text


CRASH_LOOP_PIDS = 3  # a program seen with this many pids while starting is crash-looping


class _Waiter:
    """The state of one ``wait``: which programs are ready, pending or failed, and why."""

    def __init__(self, names: Iterable[str]) -> None:
        self.started = time.monotonic()
        self.pending = set(names)
        self.ready: set[str] = set()
        self.failed: dict[str, str] = {}
        self.pids: dict[str, set[int]] = {n: set() for n in self.pending}

    def probe(self, name: str) -> str | None:
        if name in BY_NAME:
            return BY_NAME[name].readyz
        return gateway_probe(self.ready, self.pending - {name})  # nginx

    def fail(self, name: str, why: str) -> None:
        self.pending.discard(name)
        self.failed[name] = why
        print(f"  FAILED  {name}: {why}", flush=True)

    def try_ready(self, name: str) -> bool:
        url = self.probe(name)
        if url is None or http_get(url)[0] != 200:
            return False
        self.pending.discard(name)
        self.ready.add(name)
        elapsed = time.monotonic() - self.started
        print(f"  ready   {name:<14} {url}  ({elapsed:.1f}s)", flush=True)
        return True

    def step(self, states: Mapping[str, Mapping[str, Any]]) -> None:
        for name in sorted(self.pending, key=lambda n: (n == "nginx", n)):  # nginx last
            info = states.get(name)
            state = str(info["statename"]) if info else "MISSING"
            if info and info.get("pid"):
                self.pids[name].add(int(info["pid"]))
            if state in ("FATAL", "STOPPED", "MISSING"):
                self.fail(name, _state_text(info))
            elif len(self.pids[name]) >= CRASH_LOOP_PIDS:
                # stop it: restarting it forever only burns CPU; make up starts it again
                with contextlib.suppress(OSError, xmlrpc.client.Error), supervisor() as proxy:
                    proxy.supervisor.stopProcess(name)
                restarts = len(self.pids[name]) - 1
                self.fail(name, f"crash loop (exited {restarts} times): stopped it")
            elif state == "RUNNING":
                self.try_ready(name)


def wait(timeout: float) -> int:
    """Wait until every configured program runs and answers; report the ones that do not."""
    states = process_states()
    if states is None:
        print("stack: supervisord is not running (scripts/up.sh starts it)", file=sys.stderr)
        return 1
    waiter = _Waiter(states)
    last_report = waiter.started
    while True:
        states = process_states() or {}
        waiter.step(states)
        now = time.monotonic()
        if not waiter.pending or now - waiter.started > timeout:
            break
        if now - last_report >= 10:
            last_report = now
            waiting = ", ".join(
                f"{n} ({_progress(n, states.get(n))})" for n in sorted(waiter.pending)
            )
            print(f"  waiting for {waiting}", flush=True)
        time.sleep(0.5)

    states = process_states() or {}
    for name in sorted(waiter.pending - {"nginx"}):
        waiter.fail(name, f"not ready after {timeout:.0f}s, {_state_text(states.get(name))}")
    # nginx waits for the stock service to prove routing; without it, nginx's own /healthz.
    if "nginx" in waiter.pending and not waiter.try_ready("nginx"):
        waiter.fail("nginx", f"not ready after {timeout:.0f}s, {_state_text(states.get('nginx'))}")
    for name, why in sorted(waiter.failed.items()):
        print(f"\nstack: {name} is NOT ready: {why}", file=sys.stderr)
        url = waiter.probe(name) or f"{GATEWAY}/healthz"
        status, body = http_get(url)
        answer = f"HTTP {status} {body.strip()[:200]}" if status else body
        print(f"    {url} -> {answer}", file=sys.stderr)
        print(f"    last lines of {LOG_DIR / name}.log:", file=sys.stderr)
        print(log_tail(name), file=sys.stderr)
    if waiter.failed:
        print(
            f"\nstack: {len(waiter.ready)} ready, {len(waiter.failed)} not ready"
            f" ({', '.join(sorted(waiter.failed))}); the ready ones keep running"
            " (make ps, make logs).",
            file=sys.stderr,
        )
        return 1
    return 0


def check() -> bool:
    """Everything configured is running and ready right now (no waiting)."""
    states = process_states()
    if not states or any(i["statename"] != "RUNNING" for i in states.values()):
        return False
    names = [n for n in states if n in BY_NAME]
    if any(http_get(BY_NAME[n].readyz)[0] != 200 for n in names):
        return False
    probe = gateway_probe(set(names), set())
    return probe is not None and http_get(probe)[0] == 200
