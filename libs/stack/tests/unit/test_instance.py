"""Where an instance of the stack lives: the checkout's root, the e2e instance derived from
its path (or BOURSE_E2E_TAG), and the manifests always describing make up's (dev)."""

import zlib

import pytest

from bourse.stack.instance import E2E_PORT_STEP, ROOT, Instance
from bourse.stack.manifests.units import units


def test_root_is_the_checkout() -> None:
    assert (ROOT / "pyproject.toml").is_file()
    assert (ROOT / "scripts" / "stack.py").is_file()


def test_the_e2e_instance_follows_the_checkouts_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BOURSE_E2E_TAG", raising=False)
    tag = zlib.crc32(str(ROOT).encode()) % 40
    e2e = Instance.named("e2e")
    assert e2e.name == f"e2e-{tag:02d}"
    assert e2e.port_offset == 10_000 + E2E_PORT_STEP * tag
    assert (e2e.database_suffix, e2e.vhost) == (f"_e2e{tag:02d}", f"bourse-e2e-{tag:02d}")
    assert e2e.var == ROOT / "var" / "e2e"


def test_a_tag_picks_another_e2e_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOURSE_E2E_TAG", "7")
    assert Instance.named("e2e").port_offset == 10_000 + E2E_PORT_STEP * 7


def test_the_manifests_describe_make_ups_instance() -> None:
    by_name = {u.name: u for u in units()}
    assert (by_name["user"].port, by_name["user"].database) == (8001, "bourse_user")
    assert "user-2" not in by_name  # one unit per service: its first replica
    assert [u.name for u in units() if u.kind == "exchange"] == ["exchange-0", "exchange-1"]
    amqp = by_name["order"].stack_env["BOURSE_ORDER_AMQP_URL"]
    assert amqp == "amqp://guest:guest@127.0.0.1:5672/"
