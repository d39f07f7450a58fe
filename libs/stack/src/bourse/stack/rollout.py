"""Zero-downtime rolling restart of the running stack (new code goes live), and where the
running stack answers."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from bourse.stack.instance import API_BASE, GATEWAY, ROOT, SUPERVISOR_CONF, VAR
from bourse.stack.probes import http_get, process_states, supervisor
from bourse.stack.processes import child_pids, pid_alive
from bourse.stack.render import render_nginx
from bourse.stack.services import SERVICES, Service


def reload_nginx(
    services: Sequence[Service], drained: Iterable[str] = (), timeout: float = 20
) -> None:
    """Re-render nginx.conf and reload it; return once the old workers have exited, i.e.
    every request they were serving is finished (a drained replica gets nothing more)."""
    render_nginx(services, drained)
    states = process_states() or {}
    master = int(states.get("nginx", {}).get("pid") or 0)
    if not master:
        raise SystemExit("stack: nginx is not running")
    old = child_pids(master)
    with supervisor() as proxy:
        proxy.supervisor.signalProcess("nginx", "HUP")
    deadline = time.monotonic() + timeout
    while any(pid_alive(pid) for pid in old):
        if time.monotonic() > deadline:
            raise SystemExit(f"stack: nginx's old workers did not exit in {timeout:.0f}s")
        time.sleep(0.1)


def _restart(service: Service, timeout: float) -> None:
    with supervisor() as proxy:
        proxy.supervisor.stopProcess(service.name)  # TERM: finishes what is in flight
        proxy.supervisor.startProcess(service.name)
    deadline = time.monotonic() + timeout
    while http_get(service.readyz)[0] != 200:
        if time.monotonic() > deadline:
            raise SystemExit(f"stack: {service.name} is not ready {timeout:.0f}s after restart")
        time.sleep(0.2)


def rollout(timeout: float = 120) -> int:
    """Zero-downtime rolling restart of the running stack (new code goes live): the
    exchange shards one at a time (their commands wait in the queue meanwhile), then every
    replica one at a time: drained from nginx first, restarted, ready, back in rotation.
    A service's other replica serves all the while. nginx reloads itself last."""
    services = configured()
    for service in services:
        started = time.monotonic()
        if service.public:
            reload_nginx(services, drained=[service.name])
        _restart(service, timeout)
        if service.public:
            reload_nginx(services)
        print(f"  restarted {service.name:<16} ({time.monotonic() - started:.1f}s)", flush=True)
    reload_nginx(services)
    return 0


def configured() -> list[Service]:
    """The services our running supervisord runs (every one when it is down)."""
    states = process_states()
    if states is None:
        return list(SERVICES)
    return [s for s in SERVICES if s.name in states]


def urls() -> str:
    public = [s for s in configured() if s.public and s.first]
    lines = [
        f"  terminal  {GATEWAY}/",
        f"  API       {API_BASE}",
        *(f"  docs      {GATEWAY}/docs/{s.name}" for s in public),
        f"  status    make ps    (uv run supervisorctl -c {SUPERVISOR_CONF.relative_to(ROOT)}"
        " status)",
        f"  logs      make logs  ({VAR.relative_to(ROOT)}/log/<service>.log)",
        "  stop      make down  (scripts/down.sh)",
    ]
    return "\n".join(lines)
