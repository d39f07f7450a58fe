"""scripts/deploy.sh: the plan --dry-run prints (images tagged with the git SHA, the
overlay applied, every rollout awaited, the smoke check, the rollback path), and that a
dry run runs nothing (fake docker and kubectl on PATH would say so)."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "scripts" / "deploy.sh"
REGISTRY = "registry.example.com/bourse"


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def expected_tag() -> str:
    sha = git("rev-parse", "--short=12", "HEAD").strip()
    dirty = git("status", "--porcelain", "--untracked-files=no").strip()
    return f"{sha}-dirty" if dirty else sha


def deploy(*args: str, fakes: Path) -> subprocess.CompletedProcess[str]:
    """deploy.sh with docker, kubectl and curl replaced by fakes that record any call."""
    fakes.mkdir(exist_ok=True)
    for name in ("docker", "kubectl", "curl", "uv"):
        fake = fakes / name
        fake.write_text(f'#!/bin/sh\necho "{name} $*" >>"{fakes}/called"\nexit 99\n')
        fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fakes}:{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", str(DEPLOY), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def commands(stdout: str) -> list[str]:
    return [line[2:] for line in stdout.splitlines() if line.startswith("+ ")]


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    fakes = tmp_path_factory.mktemp("fakes")
    args = (
        "--target",
        "k8s",
        "--overlay",
        "prod",
        "--registry",
        REGISTRY,
        "--dry-run",
        "--allow-dirty",
    )
    done = deploy(*args, "--smoke-url", "https://api.bourse.example", fakes=fakes)
    assert done.returncode == 0, done.stderr
    return {"stdout": done.stdout, "commands": commands(done.stdout), "fakes": fakes}


def test_dry_run_runs_nothing(plan: dict[str, Any]) -> None:
    assert not (plan["fakes"] / "called").exists(), (plan["fakes"] / "called").read_text()
    assert not list((ROOT / "var").glob("deploy.*")), "the temporary kustomization is removed"


def test_images_are_built_and_pushed_with_the_git_sha(plan: dict[str, Any]) -> None:
    tag = expected_tag()
    deploy_text = DEPLOY.read_text()
    listed = re.search(r"PACKAGES=\(\n(.*?)\n\)", deploy_text, re.DOTALL)
    assert listed is not None
    packages = listed[1].split()
    builds = [c for c in plan["commands"] if c.startswith("docker build")]
    pushes = [c for c in plan["commands"] if c.startswith("docker push")]
    assert len(packages) == 8
    assert len(builds) == len(pushes) == len(packages) + 1  # and the browser terminal's
    for package, build, push in zip(packages, builds, pushes, strict=False):
        assert f"--build-arg PACKAGE={package}" in build
        assert f"--file {ROOT}/infra/docker/Dockerfile " in build and build.endswith(str(ROOT))
        assert f"--tag {REGISTRY}/{package}:{tag}" in build
        assert push == f"docker push {REGISTRY}/{package}:{tag}"
    web = f"{REGISTRY}/bourse-web-terminal:{tag}"
    assert f"--file {ROOT}/infra/docker/web-terminal/Dockerfile " in builds[-1]
    assert f"--tag {web}" in builds[-1] and builds[-1].endswith(str(ROOT))
    assert pushes[-1] == f"docker push {web}"
    # the overlay's images are set to those tags
    for package in [*packages, "bourse-web-terminal"]:
        entry = f"#     - name: {package}\n#       newName: {REGISTRY}/{package}\n"
        assert f'{entry}#       newTag: "{tag}"' in plan["stdout"]
    assert "#     - ../../k8s/overlays/prod" in plan["stdout"]


def test_plan_applies_waits_smokes_and_can_roll_back(
    plan: dict[str, Any], overlays: dict[str, list[dict[str, Any]]]
) -> None:
    cmds = plan["commands"]
    index = {c: i for i, c in enumerate(cmds)}

    def position(pattern: str) -> int:
        found = [i for c, i in index.items() if re.search(pattern, c)]
        assert found, f"no command matches {pattern!r}:\n" + "\n".join(cmds)
        return min(found)

    apply = position(r"^kubectl --namespace bourse apply --kustomize \S+/var/deploy\.\w+ ")
    assert position(r"^docker push") < apply
    assert position(r"delete job bourse-db-init --ignore-not-found") < apply
    workloads = [
        f"{d['kind'].lower()}/{d['metadata']['name']}"
        for d in overlays["prod"]
        if d["kind"] in ("Deployment", "StatefulSet")
    ]
    assert len(workloads) == 11  # 7 services, the terminal, postgres, rabbitmq, exchange
    for workload in workloads:
        assert position(rf"rollout status {workload} --timeout=600s$") > apply
    assert position(r"wait --for=condition=complete job/bourse-db-init") > apply
    smoke = position(r"get --raw /api/v1/namespaces/bourse/services/stock:http/proxy/api/v1/stocks")
    for name in (d["metadata"]["name"] for d in overlays["prod"] if d["kind"] == "Deployment"):
        assert (
            position(rf"get --raw /api/v1/namespaces/bourse/services/{name}:http/proxy/readyz")
            > apply
        )
        undo = position(rf"rollout undo deployment/{name}$")
        assert undo > smoke
    assert position(r"^curl .*https://api\.bourse\.example/api/v1/stocks$") < position(
        r"rollout undo"
    )
    assert position(r"^curl .*https://api\.bourse\.example/$") < position(r"rollout undo")
    assert position(r"rollout undo statefulset/exchange$") > apply
    assert "# on failure (rollout or smoke check), unless --no-rollback:" in plan["stdout"]


def test_a_dirty_tree_needs_allow_dirty(tmp_path: Path) -> None:
    """With uncommitted changes (a git that reports one), the tool refuses unless told."""
    fakes = tmp_path / "fakes"
    fakes.mkdir()
    real_git = shutil.which("git")
    assert real_git is not None
    fake_git = fakes / "git"
    fake_git.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" status "*) echo " M servers/changed.py"; exit 0 ;; esac\n'
        f'exec "{real_git}" "$@"\n'
    )
    fake_git.chmod(0o755)
    refused = deploy("--target", "k8s", "--registry", REGISTRY, "--dry-run", fakes=fakes)
    assert refused.returncode == 1
    assert "--allow-dirty" in refused.stderr
    args = ("--target", "k8s", "--registry", REGISTRY, "--allow-dirty", "--dry-run")
    allowed = deploy(*args, fakes=fakes)
    assert allowed.returncode == 0, allowed.stderr
    sha = git("rev-parse", "--short=12", "HEAD").strip()
    assert f"{REGISTRY}/bourse-order-service:{sha}-dirty" in allowed.stdout


def test_an_explicit_tag_and_namespace(tmp_path: Path) -> None:
    done = deploy(
        "--target", "k8s", "--no-build", "--no-push", "--tag", "v1.2.3", "--namespace", "staging",
        "--dry-run", fakes=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cmds = commands(done.stdout)
    assert not any(c.startswith("docker") for c in cmds)
    assert "#   namespace: staging" in done.stdout and '#       newTag: "v1.2.3"' in done.stdout
    assert any(c.startswith("kubectl --namespace staging apply") for c in cmds)


def test_help_documents_every_option(tmp_path: Path) -> None:
    done = deploy("--help", fakes=tmp_path)
    assert done.returncode == 0
    options = set(re.findall(r"^\s+(--[a-z-]+)\)", DEPLOY.read_text(), re.MULTILINE))
    assert len(options) >= 14
    for option in options:
        assert option in done.stdout, option


@pytest.mark.parametrize(
    "args",
    [(), ("--target", "nowhere"), ("--target", "k8s", "--bogus"), ("--target", "k8s", "--dry-run"),
     ("--target", "k8s", "--timeout", "soon", "--dry-run")],
)  # fmt: skip
def test_usage_errors_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    done = deploy(*args, fakes=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr


def test_local_target_plan(tmp_path: Path) -> None:
    done = deploy("--target", "local", "--dry-run", fakes=tmp_path)
    assert done.returncode == 0, done.stderr
    cmds = commands(done.stdout)
    assert cmds[0] == "scripts/bootstrap.sh"
    migrate = [i for i, c in enumerate(cmds) if c.endswith(" migrate")]
    declare = [i for i, c in enumerate(cmds) if c.endswith(" declare")]
    rollout = next(i for i, c in enumerate(cmds) if "scripts/stack.py rollout" in c)
    assert migrate and declare and max(migrate) < min(declare) and max(declare) < rollout
    assert not (tmp_path / "called").exists()


def test_the_applied_kustomization_renders_with_the_tags(tmp_path: Path, tool: Any) -> None:
    """What deploy.sh applies: its generated kustomization on top of the overlay, rendered by
    kubectl kustomize, has every Bourse image at <registry>/<package>:<tag>."""
    (ROOT / "var").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="deploy.test.", dir=ROOT / "var"))
    try:
        script = (
            f'BOURSE_DEPLOY_SOURCED=1 source "{DEPLOY}"; '
            f'OVERLAY=prod REGISTRY="{REGISTRY}" TAG=abc123 write_kustomization "{work}"'
        )
        subprocess.run(["bash", "-c", script], check=True, timeout=30)
        rendered = tool("kubectl", "kustomize", str(work)).stdout
    finally:
        shutil.rmtree(work)
    images = set(re.findall(r"^\s+(?:- )?image: (\S+)$", rendered, re.MULTILINE))
    ours = {i for i in images if "/bourse-" in i}
    assert len(ours) == 9  # 8 workspace packages and the browser terminal
    assert all(i.startswith(f"{REGISTRY}/bourse-") and i.endswith(":abc123") for i in ours), ours
    assert "set-by-deploy" not in rendered
