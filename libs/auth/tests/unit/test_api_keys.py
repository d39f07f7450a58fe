"""The key verifier's cache: an answer (a refusal too) is reused for ``ttl`` seconds, then
asked again; concurrent requests share one question; the secret is never a cache key."""

import asyncio
import hashlib
import uuid

import pytest

from bourse.auth.api_keys import (
    KeyLookupError,
    KeyOutcome,
    KeyRefusal,
    KeyVerifier,
    invalid_api_key,
    key_principal,
    verify_url,
)
from bourse.common.errors import Problem

USER = uuid.UUID("00000000-0000-0000-0000-000000000007")
KEY_ID, SECRET = "bk_0123456789abcdef01234567", "s3cret-Secret_0123456789abcdefghijklmnopqrstu"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class UserService:
    """What user-service answers, and how often it was asked."""

    def __init__(self) -> None:
        self.revoked = False
        self.asked: list[str] = []
        self.down = False
        self.delay = 0.0

    async def lookup(self, key_id: str, secret: str, client: str | None) -> KeyOutcome:
        self.asked.append(key_id)
        await asyncio.sleep(self.delay)
        if self.down:
            raise KeyLookupError("connection refused")
        if self.revoked or (key_id, secret) != (KEY_ID, SECRET):
            return invalid_api_key()
        return key_principal(USER, ["admin"], ["read"], key_id)


@pytest.fixture
def service() -> UserService:
    return UserService()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def keys(service: UserService, clock: FakeClock) -> KeyVerifier:
    return KeyVerifier(service.lookup, ttl=5.0, clock=clock)


async def test_an_answer_is_reused_for_ttl_seconds_then_asked_again(
    keys: KeyVerifier, service: UserService, clock: FakeClock
) -> None:
    principal = await keys.verify(KEY_ID, SECRET)
    assert (principal.user_id, principal.key_id, principal.scopes) == (
        USER,
        KEY_ID,
        frozenset({"read"}),
    )
    assert principal.via_key and principal.has_role("admin") and principal.seconds_left() > 1e9
    clock.now += 4.9
    assert await keys.verify(KEY_ID, SECRET) == principal
    assert len(service.asked) == 1
    clock.now += 0.2  # 5.1 s after the first answer
    service.revoked = True
    with pytest.raises(Problem) as refused:
        await keys.verify(KEY_ID, SECRET)
    assert (refused.value.status, refused.value.code) == (401, "invalid_api_key")
    assert len(service.asked) == 2


async def test_a_refusal_is_cached_too(
    keys: KeyVerifier, service: UserService, clock: FakeClock
) -> None:
    for _ in range(3):
        assert isinstance(await keys.outcome(KEY_ID, "wrong-secret"), KeyRefusal)
    assert len(service.asked) == 1
    clock.now += 5.1
    assert isinstance(await keys.outcome(KEY_ID, "wrong-secret"), KeyRefusal)
    assert len(service.asked) == 2


async def test_each_secret_is_its_own_entry(keys: KeyVerifier, service: UserService) -> None:
    """A cached right answer never lets a wrong secret of the same key id in."""
    await keys.verify(KEY_ID, SECRET)
    assert isinstance(await keys.outcome(KEY_ID, SECRET + "x"), KeyRefusal)
    assert len(service.asked) == 2


async def test_the_secret_is_never_kept_in_clear(keys: KeyVerifier) -> None:
    await keys.verify(KEY_ID, SECRET)
    await keys.outcome(KEY_ID, "another-wrong-secret")
    entries = list(keys._answers.items())
    assert {key for key, _ in entries} == {
        (KEY_ID, hashlib.sha256(SECRET.encode()).digest()),
        (KEY_ID, hashlib.sha256(b"another-wrong-secret").digest()),
    }
    dumped = repr(entries) + repr(vars(keys))
    assert SECRET not in dumped and "another-wrong-secret" not in dumped


async def test_concurrent_requests_share_one_question(
    keys: KeyVerifier, service: UserService
) -> None:
    service.delay = 0.05
    answers = await asyncio.gather(*(keys.verify(KEY_ID, SECRET) for _ in range(20)))
    assert len(set(answers)) == 1
    assert len(service.asked) == 1


async def test_malformed_keys_are_refused_without_asking(
    keys: KeyVerifier, service: UserService
) -> None:
    for key_id, secret in [("", SECRET), (KEY_ID, ""), ("bk 1", SECRET), ("k" * 65, SECRET)]:
        assert isinstance(await keys.outcome(key_id, secret), KeyRefusal)
    assert service.asked == []


async def test_an_unreachable_user_service_is_a_503_and_not_cached(
    keys: KeyVerifier, service: UserService
) -> None:
    service.down = True
    with pytest.raises(Problem) as unavailable:
        await keys.verify(KEY_ID, SECRET)
    assert (unavailable.value.status, unavailable.value.code) == (503, "auth_unavailable")
    service.down = False
    assert (await keys.verify(KEY_ID, SECRET)).user_id == USER
    assert len(service.asked) == 2


async def test_a_throttled_answer_keeps_its_retry_after() -> None:
    async def throttled(key_id: str, secret: str, client: str | None) -> KeyOutcome:
        return KeyRefusal(429, "too_many_attempts", "slow down", "7")

    with pytest.raises(Problem) as refused:
        await KeyVerifier(throttled).verify(KEY_ID, SECRET)
    assert refused.value.status == 429 and refused.value.headers == {"Retry-After": "7"}


def test_the_check_is_on_the_jwks_host() -> None:
    assert (
        verify_url("http://user:8001/api/v1/auth/jwks?x=1")
        == "http://user:8001/internal/api-keys/verify"
    )
