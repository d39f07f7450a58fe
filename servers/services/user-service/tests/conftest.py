"""user-service on a real, throwaway PostgreSQL database and RabbitMQ vhost."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bourse.testing.app import running_app
from bourse.testing.infra import ensure_services, migrated_url, temporary_vhost
from bourse.user.config import Settings
from bourse.user.main import MIGRATIONS, create_app


@pytest.fixture(scope="session")
def user_vhost() -> Iterator[str]:
    ensure_services()
    with temporary_vhost("bourse_user_test") as url:
        yield url


@pytest.fixture(scope="session")
async def user_settings(user_vhost: str) -> AsyncIterator[Settings]:
    async with migrated_url("bourse_user_test", MIGRATIONS) as url:
        yield Settings(database_url=url, amqp_url=user_vhost, admin_emails="root@example.com")


@pytest.fixture(scope="session")
async def client(user_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(user_settings)) as http:
        yield http
