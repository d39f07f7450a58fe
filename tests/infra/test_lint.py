"""Linters of the infrastructure files, from the locked dev environment: hadolint (the
Dockerfile), shellcheck (every shell script of scripts/, .ci/, infra/ and k8s/, and the
`run:` steps of the CI workflow), check-jsonschema (the GitHub Actions workflow against
the workflow schema it ships)."""

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
Tool = Callable[..., subprocess.CompletedProcess[str]]
WORKFLOW = ROOT / "infra" / "ci-cd" / "github-actions.yml"
WEB_DOCKERFILE = "infra/docker/web-terminal/Dockerfile"


def shell_scripts() -> list[Path]:
    found = [ROOT / ".ci" / "run"]
    for folder in ("scripts", "infra", "k8s"):
        found += sorted((ROOT / folder).rglob("*.sh"))
    return found


@pytest.mark.parametrize("dockerfile", ["infra/docker/Dockerfile", WEB_DOCKERFILE])
def test_dockerfile_is_hadolint_clean(tool: Tool, dockerfile: str) -> None:
    tool("hadolint", "--failure-threshold", "style", dockerfile)


def test_shell_scripts_are_shellcheck_clean(tool: Tool) -> None:
    scripts = shell_scripts()
    assert ROOT / "scripts" / "deploy.sh" in scripts
    assert ROOT / "scripts" / "up.sh" in scripts
    tool("shellcheck", "--external-sources", *map(str, scripts))


def test_ci_workflow_matches_the_github_schema(tool: Tool) -> None:
    tool("check-jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW))


def test_ci_workflow_steps_are_shellcheck_clean(tool: Tool, tmp_path: Path) -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = [
        step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step
    ]
    assert steps
    files = []
    for i, body in enumerate(steps):
        # ${{ expressions }} are GitHub's, replaced before the shell sees the script
        script = re.sub(r"\$\{\{[^}]*\}\}", "GITHUB_EXPRESSION", body)
        path = tmp_path / f"step-{i}.sh"
        path.write_text("#!/usr/bin/env bash\nset -eo pipefail\n" + script)
        files.append(str(path))
    tool("shellcheck", *files)


def test_ci_workflow_mirrors_ci_run() -> None:
    """.ci/run is `make test` = lint + typecheck + the test suite; the workflow runs the
    same three, and builds every image."""
    workflow = yaml.safe_load(WORKFLOW.read_text())
    runs = " ".join(s.get("run", "") for j in workflow["jobs"].values() for s in j["steps"])
    for target in ("make lint", "make typecheck", "make web-test", "make test-fast"):
        assert target in runs
    # the browser terminal: Node.js in every job that runs make, its image built too
    for name, job in workflow["jobs"].items():
        if any("make " in s.get("run", "") for s in job["steps"]):
            uses = [s.get("uses", "") for s in job["steps"]]
            assert any(u.startswith("actions/setup-node@") for u in uses), name
    assert "infra/docker/web-terminal/Dockerfile" in runs
    services = workflow["jobs"]["test"]["services"]
    assert {"postgres", "rabbitmq"} <= set(services)
    packages = workflow["jobs"]["images"]["strategy"]["matrix"]["package"]
    deploy = (ROOT / "scripts" / "deploy.sh").read_text()
    listed = re.search(r"PACKAGES=\(\n(.*?)\n\)", deploy, re.DOTALL)
    assert listed is not None
    assert packages == listed[1].split()
