"""infra/docker/Dockerfile: multi-stage from the uv workspace, a slim non-root final image
with a health check; the build context (.dockerignore) keeps what it copies; every image
package maps to a runnable module."""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "infra" / "docker" / "Dockerfile").read_text()


def test_multi_stage_build_from_the_lock() -> None:
    stages = re.findall(r"^FROM (\S+) AS (\w+)$", DOCKERFILE, re.MULTILINE)
    assert [name for _, name in stages] == ["build", "runtime"]
    assert "ARG PYTHON_IMAGE=python:3.11-slim-bookworm" in DOCKERFILE
    assert 'uv sync --frozen --no-dev --no-editable --package "${PACKAGE}"' in DOCKERFILE
    runtime = DOCKERFILE.split(" AS runtime", 1)[1]
    assert "COPY --from=build /opt/venv /opt/venv" in runtime
    assert re.search(r"^USER 10001:10001$", runtime, re.MULTILINE)
    assert re.search(r"^HEALTHCHECK .*healthcheck", runtime, re.MULTILINE | re.DOTALL)
    assert 'ENTRYPOINT ["/opt/bourse/entrypoint.sh"]' in runtime
    assert "uv" not in runtime.replace("/opt/venv", ""), "no build tool in the final image"


def test_the_context_keeps_what_the_build_copies() -> None:
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    kept = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    sources = []
    for line in re.findall(r"^COPY (?!--from)(.+)$", DOCKERFILE, re.MULTILINE):
        sources += [s.rstrip("/") for s in line.split()[:-1] if not s.startswith("--")]
    assert sources
    assert set(sources) <= kept, set(sources) - kept
    assert "*" in ignore  # everything else stays out


def test_every_image_package_is_a_runnable_module() -> None:
    deploy = (ROOT / "scripts" / "deploy.sh").read_text()
    listed = re.search(r"PACKAGES=\(\n(.*?)\n\)", deploy, re.DOTALL)
    assert listed is not None
    # the Dockerfile's own derivation: bourse-order-service -> order
    derive = re.search(r'module="\$\{PACKAGE#bourse-\}".*?tr - _\)"', DOCKERFILE, re.DOTALL)
    assert derive is not None
    for package in listed[1].split():
        script = (
            'PACKAGE="$1"; module="${PACKAGE#bourse-}"; module="${module%-service}"; '
            'echo "$module" | tr - _'
        )
        module = subprocess.run(
            ["bash", "-c", script, "-", package], capture_output=True, text=True, check=True
        ).stdout.strip()
        mains = list(ROOT.glob(f"*/*/src/bourse/{module}/__init__.py")) + list(
            ROOT.glob(f"servers/services/*/src/bourse/{module}/__init__.py")
        )
        assert mains, (package, module)
        pyproject = mains[0].parents[3] / "pyproject.toml"
        assert f'name = "{package}"' in pyproject.read_text()
