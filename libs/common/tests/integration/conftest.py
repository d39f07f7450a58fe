from collections.abc import AsyncIterator

import pytest

from bourse.testing.infra import ensure_services, temporary_database


@pytest.fixture
async def url(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A fresh database for the test, named after its module (test_reads: bourse_reads_...)."""
    ensure_services()
    topic = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    async with temporary_database(f"bourse_{topic}_test") as url:
        yield url
