"""Per-account login throttling (bourse.user.throttle) through the HTTP API, on two
app instances sharing one real database, as the two replicas do: failures counted on
one count on the other."""

import asyncio
import itertools
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select

from bourse.common.db import Database
from bourse.testing.app import running_app
from bourse.user import handlers
from bourse.user.config import Settings
from bourse.user.db import failed_attempts
from bourse.user.domain.passwords import verify_password
from bourse.user.main import create_app

PASSWORD = "s3cret-pass!"
WRONG = "wrong-password"
# The 5th failure locks this long (from when it was admitted, before argon2 ran): long
# enough that a slow argon2 on a loaded machine cannot let the lock lapse mid-test.
BASE_DELAY = 3.0


@dataclass
class Replicas:
    clients: list[httpx.AsyncClient]

    def __post_init__(self) -> None:
        self._next = itertools.cycle(self.clients)

    async def login(self, address: str, password: str) -> httpx.Response:
        body = {"email": address, "password": password}
        return await next(self._next).post("/api/v1/auth/login", json=body)

    async def register(self) -> str:
        address = f"t{uuid.uuid4().hex[:12]}@example.com"
        body = {"email": address, "password": PASSWORD}
        response = await self.clients[0].post("/api/v1/auth/register", json=body)
        assert response.status_code == 201, response.text
        return address

    async def fail(self, address: str, times: int = 5) -> None:
        for _ in range(times):
            response = await self.login(address, WRONG)
            assert response.status_code == 401, response.text


@pytest.fixture(scope="module")
async def replicas(user_settings: Settings) -> AsyncIterator[Replicas]:
    settings = user_settings.model_copy(
        update={
            "login_base_delay_seconds": BASE_DELAY,
            "login_max_delay_seconds": 4 * BASE_DELAY,
            "login_failure_window_seconds": 60.0,
        }
    )
    async with running_app(create_app(settings)) as a, running_app(create_app(settings)) as b:
        yield Replicas([a, b])


def throttled(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["code"] == "too_many_attempts" and body["status"] == 429
    return body


async def test_five_failures_lock_even_the_right_password_until_the_delay(
    replicas: Replicas,
) -> None:
    address = await replicas.register()
    await replicas.fail(address)
    locked_at = time.monotonic()
    refused = await replicas.login(address.upper(), PASSWORD)  # same account, any case
    throttled(refused)
    assert 1 <= int(refused.headers["retry-after"]) <= BASE_DELAY
    await asyncio.sleep(BASE_DELAY - (time.monotonic() - locked_at) + 0.1)
    assert (await replicas.login(address, PASSWORD)).status_code == 200


async def test_a_success_forgives_the_failures(replicas: Replicas) -> None:
    address = await replicas.register()
    await replicas.fail(address, times=4)
    assert (await replicas.login(address, PASSWORD)).status_code == 200
    await replicas.fail(address, times=4)  # counted from zero again: no lock yet
    assert (await replicas.login(address, PASSWORD)).status_code == 200


async def test_unknown_emails_are_throttled_exactly_like_accounts(replicas: Replicas) -> None:
    known = await replicas.register()
    unknown = f"nobody{uuid.uuid4().hex[:12]}@example.com"
    answers = []
    for address in (known, unknown):
        await replicas.fail(address)
        answers.append(await replicas.login(address, PASSWORD))
    assert throttled(answers[0]) == throttled(answers[1])
    assert answers[0].headers["retry-after"] == answers[1].headers["retry-after"]


async def test_concurrent_guesses_cannot_outrun_the_count(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attempts are counted before the password is checked: of a burst, only the free
    ones reach the (costly) argon2 check, whichever replica they land on."""
    checked = []

    async def spy(password: str, password_hash: str | None) -> tuple[bool, str | None]:
        checked.append(password)
        return await verify_password(password, password_hash)

    monkeypatch.setattr(handlers, "verify_password", spy)
    address = await replicas.register()
    answers = await asyncio.gather(*(replicas.login(address, WRONG) for _ in range(16)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 11, [a.text for a in answers]
    assert len(checked) == 5


async def test_other_accounts_are_not_affected(replicas: Replicas) -> None:
    victim, bystander = await replicas.register(), await replicas.register()
    await replicas.fail(victim)
    throttled(await replicas.login(victim, PASSWORD))
    assert (await replicas.login(bystander, PASSWORD)).status_code == 200


async def test_forgotten_failures_are_purged_as_new_subjects_come(
    replicas: Replicas, user_settings: Settings
) -> None:
    stale = f"stale{uuid.uuid4().hex[:12]}@example.com"
    db = Database(user_settings.database_url)
    try:
        async with db.transaction() as session:
            await session.execute(
                insert(failed_attempts).values(
                    scope="login",
                    subject=stale,
                    failures=3,
                    last_failure_at=datetime.now(UTC) - timedelta(hours=1),
                )
            )
        await replicas.fail(f"new{uuid.uuid4().hex[:12]}@example.com", times=1)
        async with db.transaction() as session:
            left = await session.scalar(
                select(failed_attempts.c.subject).where(failed_attempts.c.subject == stale)
            )
        assert left is None
    finally:
        await db.dispose()


@pytest.mark.parametrize("address", [r"nul\u0000@example.com", r"\ud82c@example.com"])
async def test_emails_postgres_cannot_store_are_4xx_not_500(
    replicas: Replicas, address: str
) -> None:
    body = f'{{"email": "{address}", "password": "{WRONG}"}}'
    response = await replicas.clients[0].post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
