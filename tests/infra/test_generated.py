"""The generated manifests are current, and every container gets the settings that
scripts/stack.py gives the same service locally (same keys, same ports, same databases)."""

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
LOCAL = "127.0.0.1"


def test_generated_files_are_current() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/gen_manifests.py", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, (
        "generated files are stale: uv run python scripts/gen_manifests.py write\n"
        + done.stdout
        + done.stderr
    )


def expected_value(key: str, value: str, unit: dict[str, Any], hosts: dict[int, str]) -> str:
    """A stack value as a container should see it (hosts by name); credentials and paths
    are checked apart."""
    return re.sub(
        rf"http://{re.escape(LOCAL)}:(\d+)", lambda m: f"http://{hosts[int(m[1])]}:{m[1]}", value
    )


def test_compose_environment_matches_the_stack(
    stack_table: list[dict[str, Any]], compose: dict[str, Any]
) -> None:
    hosts = {u["port"]: u["name"] for u in stack_table}
    services = compose["services"]
    for unit in stack_table:
        p = unit["prefix"]
        for name in (unit["name"], f"{unit['name']}-init"):
            env = services[name]["environment"]
            assert set(env) == {*unit["env"], f"{p}HOST"}, name
            assert env[f"{p}HOST"] == "0.0.0.0"
            for key, value in unit["env"].items():
                if key == f"{p}AMQP_URL":
                    assert env[key].endswith("@rabbitmq:5672/"), (name, key)
                elif key == f"{p}DATABASE_URL":
                    db = unit["database"]
                    assert re.fullmatch(
                        rf"postgresql\+asyncpg://{db}:.+@postgres:5432/{db}", env[key]
                    )
                elif key == f"{p}JOURNAL_DIR":
                    assert env[key] == "/var/lib/bourse/exchange"
                else:
                    assert env[key] == expected_value(key, value, unit, hosts), (name, key)


def _env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1) for line in path.read_text().splitlines() if line and line[0] != "#"
    )
    return dict(pairs)


def test_kubernetes_settings_match_the_stack(stack_table: list[dict[str, Any]]) -> None:
    hosts = {u["port"]: u["name"] for u in stack_table}
    base = ROOT / "k8s" / "base"
    shards = [u for u in stack_table if u["kind"] == "exchange"]
    for unit in [u for u in stack_table if u["kind"] == "service"] + shards[:1]:
        p = unit["prefix"]
        if unit["kind"] == "exchange":
            config = _env_file(base / "exchange" / "exchange.env")
            manifest = base / "exchange" / "exchange.yaml"
        else:
            config = _env_file(base / "services" / f"{unit['name']}.env")
            manifest = base / "services" / f"{unit['name']}.yaml"
        workload = next(yaml.safe_load_all(manifest.read_text()))
        container = workload["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in container["env"]}
        # every setting of the stack, from the ConfigMap or the container's env
        assert set(unit["env"]) <= set(config) | set(env), unit["name"]
        assert config[f"{p}HOST"] == "0.0.0.0"
        for key, value in unit["env"].items():
            if key in (f"{p}AMQP_URL", f"{p}DATABASE_URL", f"{p}JOURNAL_DIR", f"{p}PORT"):
                continue
            assert config[key] == expected_value(key, value, unit, hosts), (unit["name"], key)
        assert env[f"{p}AMQP_URL"] == "amqp://$(AMQP_USER):$(AMQP_PASSWORD)@rabbitmq:5672/"
        if unit["database"]:
            db = unit["database"]
            assert env[f"{p}DATABASE_URL"] == (
                f"postgresql+asyncpg://{db}:$(DB_PASSWORD)@postgres:5432/{db}"
            )
        if unit["kind"] == "service":  # the same port as locally (the exchange: 8100, below)
            assert config[f"{p}PORT"] == str(unit["port"])
            assert container["ports"][0]["containerPort"] == unit["port"]
    exchange = _env_file(base / "exchange" / "exchange.env")
    assert exchange["BOURSE_EXCHANGE_SHARDS"] == str(len(shards))
    assert exchange["BOURSE_EXCHANGE_PORT"] == "8100"
    assert exchange["BOURSE_EXCHANGE_JOURNAL_DIR"] == "/var/lib/bourse/exchange"
    databases = _env_file(base / "postgres" / "databases.env")["BOURSE_DATABASES"].split()
    assert databases == [u["database"] for u in stack_table if u["database"]]
