"""The test support itself: an issuer's tokens pass its own verifier (and no other), and
``eventually`` returns the first truthy answer or fails once its time is up."""

import uuid

import pytest

from bourse.auth.verify import InvalidTokenError
from bourse.testing.auth import TestIssuer
from bourse.testing.polling import eventually


async def test_an_issuers_token_is_verified_by_its_own_verifier() -> None:
    issuer, user = TestIssuer(), uuid.uuid4()
    principal = await issuer.verifier().verify(issuer.token(user, roles=["admin"]))
    assert principal.user_id == user and principal.roles == frozenset({"admin"})
    scheme, token = issuer.headers(user)["Authorization"].split()
    assert scheme == "Bearer" and (await issuer.verifier().verify(token)).user_id == user


async def test_another_issuers_token_is_refused() -> None:
    with pytest.raises(InvalidTokenError):
        await TestIssuer().verifier().verify(TestIssuer().token())


async def test_eventually_returns_the_first_truthy_answer() -> None:
    answers = iter([0, None, "", 7, 8])

    async def check() -> int | str | None:
        return next(answers)

    assert await eventually(check, interval=0) == 7


async def test_eventually_fails_once_its_time_is_up() -> None:
    async def never() -> bool:
        return False

    with pytest.raises(AssertionError, match="condition not met"):
        await eventually(never, timeout=0.05, interval=0.01)
