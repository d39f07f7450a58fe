"""exchange-server tests: tmp_path journals, and a real, throwaway RabbitMQ vhost."""

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# --import-mode=importlib does not put this folder on sys.path; tests import the helpers.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)

from bourse.testing.infra import ensure_services, temporary_vhost  # noqa: E402


@pytest.fixture
def vhost_url() -> Iterator[str]:
    """A fresh vhost per test: each test has the shard's queues to itself."""
    ensure_services()
    with temporary_vhost("bourse_exchange_test") as url:
        yield url
