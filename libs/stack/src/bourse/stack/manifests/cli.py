"""Write or check every generated file (scripts/gen_manifests.py)."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from bourse.stack import manifests
from bourse.stack.instance import ROOT
from bourse.stack.manifests.compose import compose, nginx_conf, prometheus_compose
from bourse.stack.manifests.k8s import k8s_exchange, k8s_service
from bourse.stack.manifests.k8s_parts import k8s_config_env
from bourse.stack.manifests.units import EXCHANGE_PORT, HEADER, databases, services, shards


def outputs() -> dict[Path, str]:
    files: dict[Path, str] = {
        ROOT / "docker-compose.yml": compose(),
        ROOT / "infra" / "docker" / "nginx" / "nginx.conf": nginx_conf(),
        ROOT / "infra" / "monitoring" / "prometheus" / "prometheus.compose.yml": (
            prometheus_compose()
        ),
    }
    k8s = ROOT / "k8s" / "base"
    for unit in services():
        files[k8s / "services" / f"{unit.name}.yaml"] = k8s_service(unit)
        files[k8s / "services" / f"{unit.name}.env"] = k8s_config_env(unit)
    shard_units = shards()
    files[k8s / "exchange" / "exchange.yaml"] = k8s_exchange()
    exchange_env = k8s_config_env(shard_units[0], port=EXCHANGE_PORT)
    files[k8s / "exchange" / "exchange.env"] = exchange_env
    files[k8s / "postgres" / "databases.env"] = (
        HEADER + f"BOURSE_DATABASES={' '.join(databases())}\n"
    )
    script = (ROOT / "infra" / "docker" / "postgres" / "create-databases.sh").read_text()
    files[k8s / "postgres" / "create-databases.sh"] = script
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/gen_manifests.py", description=manifests.__doc__)
    parser.add_argument("command", choices=("write", "check"))
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        if args.command == "write":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"gen_manifests: wrote {path.relative_to(ROOT)}")
        else:
            stale.append(path)
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"{path.relative_to(ROOT)} (committed)",
                f"{path.relative_to(ROOT)} (generated)",
            )
            sys.stdout.writelines(list(diff)[:80])
    if stale:
        names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
        print(
            f"\ngen_manifests: stale: {names}\n  run: uv run python scripts/gen_manifests.py write"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
