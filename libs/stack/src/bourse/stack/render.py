"""The configs the local stack runs from, rendered from templates into var/: nginx's
(nginx/nginx.conf.template: one upstream per service, its docs) and supervisord's
(infra/local/: one program per process, nginx last)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from bourse.stack.instance import (
    GATEWAY_PORT,
    HOST,
    LOG_DIR,
    NGINX_CONF,
    NGINX_VAR,
    ROOT,
    SUPERVISOR_CONF,
    SUPERVISOR_VAR,
    VAR,
    WEB_ROOT,
)
from bourse.stack.services import Service

# files nginx.conf.template includes, copied beside the rendered nginx.conf
NGINX_INCLUDES = (
    "proxy-headers.conf",
    "response-headers.conf",
    "web-terminal.conf",
    "web-headers.conf",
)
_PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")


def fill(template: str, values: Mapping[str, str]) -> str:
    """Replace every ``{{ name }}``; a placeholder without a value is an error."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{ {key} }}}} has no value")
        return values[key]

    return _PLACEHOLDER.sub(value, template)


def _nginx_upstreams(services: Sequence[Service], drained: Iterable[str] = ()) -> str:
    """One upstream per service with a server per replica. A drained replica is ``down``:
    nginx sends it nothing new while it restarts; a failed one is skipped for 2 s."""
    blocks = []
    for group in dict.fromkeys(s.service for s in services if s.public):
        servers = "".join(
            f"        server {HOST}:{s.port} max_fails=1 fail_timeout=2s"
            f"{' down' if s.name in drained else ''};\n"
            for s in services
            if s.service == group
        )
        blocks.append(
            f"    upstream {group} {{\n{servers}"
            "        keepalive 16;\n"
            "        keepalive_timeout 4s;  # below uvicorn's 5 s keep-alive\n"
            "    }"
        )
    return "\n".join(blocks)


def nginx_docs(names: Sequence[str]) -> str:
    """Each service's Swagger UI at /docs/<name>/ (its page's URLs are relative: its files
    under /docs/<name>/swagger-ui/, its schema at /docs/<name>/openapi.json), and /docs,
    the list. Nothing else of a service is reachable under /docs (not its /metrics)."""
    blocks = [
        f"        location = /docs/{name} {{\n"
        f"            return 301 /docs/{name}/;\n"
        "        }\n"
        f"        location = /docs/{name}/ {{\n"
        f"            proxy_pass http://{name}/docs;\n"
        "        }\n"
        f"        location = /docs/{name}/openapi.json {{\n"
        f"            proxy_pass http://{name}/openapi.json;\n"
        "        }\n"
        f"        location ^~ /docs/{name}/swagger-ui/ {{\n"
        f"            proxy_pass http://{name}/swagger-ui/;\n"
        "        }"
        for name in names
    ]
    index = json.dumps({name: f"/docs/{name}/" for name in names})
    blocks.append(
        "        location = /docs {\n"
        "            default_type application/json;\n"
        f"            return 200 '{index}';\n"
        "        }"
    )
    return "\n".join(blocks)


def nginx_values(services: Sequence[Service], drained: Iterable[str] = ()) -> dict[str, str]:
    env = os.environ.get
    return {
        "nginx_var": str(NGINX_VAR),
        "port": str(GATEWAY_PORT),
        "workers": env("BOURSE_EDGE_WORKERS", "2"),
        "auth_rate": env("BOURSE_EDGE_AUTH_RATE", "20r/s"),
        "auth_burst": env("BOURSE_EDGE_AUTH_BURST", "40"),
        "api_rate": env("BOURSE_EDGE_API_RATE", "2000r/s"),
        "api_burst": env("BOURSE_EDGE_API_BURST", "4000"),
        "upstreams": _nginx_upstreams(services, drained),
        "docs": nginx_docs([s.name for s in services if s.public and s.first]),
        "web_root": str(WEB_ROOT),
    }


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def nginx_command() -> list[str]:
    return [
        nginx_binary(),
        "-p",
        f"{NGINX_VAR}/",
        "-c",
        str(NGINX_CONF),
        "-e",
        str(NGINX_VAR / "logs" / "error.log"),
    ]


def _environment(pairs: Iterable[tuple[str, str]]) -> str:
    # supervisord expands %(name)s in values: a literal % is written %%
    return ",".join(f'{key}="{value.replace("%", "%%")}"' for key, value in pairs)


def _program(
    name: str, command: Sequence[str], env: Iterable[tuple[str, str]], priority: int, stop: str
) -> str:
    template = (ROOT / "infra" / "local" / "program.conf.template").read_text()
    return fill(
        template,
        {
            "name": name,
            "command": shlex.join(command),
            "root": str(ROOT),
            "var": str(VAR),
            "environment": _environment(env),
            "priority": str(priority),
            "stopsignal": stop,
        },
    )


def supervisor_programs(services: Sequence[Service]) -> str:
    python = str(Path(sys.prefix) / "bin" / "python")
    programs = []
    for s in services:
        command = [python, "-m", f"bourse.{s.module}", "serve", *s.args]
        env = [("PYTHONUNBUFFERED", "1"), *s.environment().items()]
        priority = 100 if s.kind == "exchange" else 200
        programs.append(_program(s.name, command, env, priority, "TERM"))
    # nginx last; QUIT = graceful stop (finishes the requests in flight).
    programs.append(_program("nginx", nginx_command(), [], 900, "QUIT"))
    return "\n".join(programs)


def render_nginx(services: Sequence[Service], drained: Iterable[str] = ()) -> None:
    template = (ROOT / "nginx" / "nginx.conf.template").read_text()
    NGINX_CONF.write_text(fill(template, nginx_values(services, drained)))
    for include in NGINX_INCLUDES:
        shutil.copyfile(ROOT / "nginx" / include, NGINX_VAR / include)


def render(services: Sequence[Service]) -> None:
    for directory in (
        LOG_DIR,
        SUPERVISOR_VAR,
        NGINX_VAR / "logs",
        NGINX_VAR / "tmp",
        VAR / "exchange",
    ):
        directory.mkdir(parents=True, exist_ok=True)
    render_nginx(services)
    template = (ROOT / "infra" / "local" / "supervisord.conf.template").read_text()
    values = {"root": str(ROOT), "var": str(VAR), "programs": supervisor_programs(services)}
    SUPERVISOR_CONF.write_text(fill(template, values))
