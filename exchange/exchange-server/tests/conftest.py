"""exchange-server tests: tmp_path journals, and a real, throwaway RabbitMQ vhost."""

from collections.abc import Iterator

import pytest

from bourse.testing.infra import ensure_services, temporary_vhost


@pytest.fixture
def vhost_url() -> Iterator[str]:
    """A fresh vhost per test: each test has the shard's queues to itself."""
    ensure_services()
    with temporary_vhost("bourse_exchange_test") as url:
        yield url
