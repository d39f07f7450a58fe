"""Token verification: a token verified once is remembered until it expires, so the
signature of a client's token is checked once, not at every request."""

import time
from typing import Any

import pytest

from bourse.auth.signing import SigningKey, issue_access_token, jwks
from bourse.auth.verify import InvalidTokenError, TokenVerifier

ISSUER, AUDIENCE = "bourse-test", "bourse"


def verifier_for(key: SigningKey, fetches: list[int]) -> TokenVerifier:
    async def fetch() -> dict[str, Any]:
        fetches.append(1)
        return jwks([key])

    return TokenVerifier(fetch, issuer=ISSUER, audience=AUDIENCE, leeway=0)


def token(key: SigningKey, ttl: int = 60) -> str:
    subject = "00000000-0000-0000-0000-000000000001"
    return issue_access_token(
        key, subject=subject, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=ttl
    )


async def test_a_token_verified_once_is_not_verified_again() -> None:
    key, fetches = SigningKey.generate(), list[int]()
    verifier = verifier_for(key, fetches)
    presented = token(key)
    first = await verifier.verify(presented)
    verifier._keys = {}  # were the signature checked again, no key would be found
    verifier._refreshed_at = time.monotonic()  # and none fetched
    assert await verifier.verify(presented) == first
    assert len(fetches) == 1


async def test_a_remembered_token_stops_working_when_it_expires() -> None:
    verifier = verifier_for(key := SigningKey.generate(), [])
    presented = token(key, ttl=1)
    await verifier.verify(presented)
    time.sleep(1.1)
    with pytest.raises(InvalidTokenError):
        await verifier.verify(presented)


async def test_a_bad_token_is_never_remembered() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    verifier = verifier_for(key, [])
    forged = token(other)
    for _ in range(2):
        with pytest.raises(InvalidTokenError):
            await verifier.verify(forged)
