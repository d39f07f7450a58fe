"""Local token verification against the issuer's JWKS, cached by key id.

The algorithm is pinned (EdDSA: a token cannot choose ``none`` or HS256), and ``exp``,
``nbf``, ``iss``, ``aud`` and ``sub`` are required. A token verified once is remembered
until it expires (bounded in number): a client sends the same token with every request,
and checking its signature again each time was most of an authenticated read's CPU. An
access token cannot be revoked before its expiry anyway; the cache changes nothing there.
An unknown ``kid`` refreshes the JWKS (key rotation), at most once per
``min_refresh_interval`` so that forged kids cannot make us hammer the issuer.
"""

import asyncio
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt

from bourse.auth.api_keys import KeyVerifier, http_key_lookup, verify_url
from bourse.auth.principal import Principal
from bourse.auth.signing import ALGORITHM
from bourse.common.settings import ServiceSettings

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]
REMEMBERED = 50_000  # verified tokens kept at most (least recently used goes first)


class InvalidTokenError(Exception):
    pass


def http_jwks_fetcher(url: str, timeout: float = 3.0) -> JwksFetcher:
    async def fetch() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=timeout) as client:
            response = await client.get(url)
            response.raise_for_status()
            body: dict[str, Any] = response.json()
            return body

    return fetch


class TokenVerifier:
    def __init__(
        self,
        fetch_jwks: JwksFetcher,
        *,
        issuer: str,
        audience: str,
        leeway: int = 5,
        min_refresh_interval: float = 10.0,
        api_keys: KeyVerifier | None = None,
    ) -> None:
        self._fetch = fetch_jwks
        # How callers presenting an API key instead of a token are checked (None: refused).
        self.api_keys = api_keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, Any] = {}
        self._refreshed_at = float("-inf")
        self._lock = asyncio.Lock()
        self._verified: OrderedDict[str, Principal] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        """The token's principal; raises :class:`InvalidTokenError`."""
        known = self._verified.get(token)
        if known is not None and known.seconds_left() > 0:
            self._verified.move_to_end(token)
            return known
        principal = await self._verify(token)
        self._verified[token] = principal
        if len(self._verified) > REMEMBERED:
            self._verified.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidTokenError("unexpected algorithm")
        key = await self._key(str(header.get("kid", "")))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
            user_id = uuid.UUID(claims["sub"])
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidTokenError(str(exc)) from exc
        roles = claims.get("roles", [])
        return Principal(
            user_id,
            frozenset(r for r in roles if isinstance(r, str)),
            valid_until=float(claims["exp"]) + self.leeway,
        )

    async def _key(self, kid: str) -> Any:
        if kid in self._keys:
            return self._keys[kid]
        async with self._lock:
            if kid not in self._keys and self._may_refresh():
                await self._refresh()
        if kid not in self._keys:
            raise InvalidTokenError("unknown signing key")
        return self._keys[kid]

    def _may_refresh(self) -> bool:
        return time.monotonic() - self._refreshed_at >= self.min_refresh_interval

    async def _refresh(self) -> None:
        try:
            document = await self._fetch()
        except (httpx.HTTPError, ValueError) as exc:
            raise InvalidTokenError("signing keys unavailable") from exc
        self._refreshed_at = time.monotonic()
        keys = {}
        for entry in document.get("keys", []):
            if entry.get("alg", ALGORITHM) == ALGORITHM and "kid" in entry:
                keys[entry["kid"]] = jwt.PyJWK(entry, algorithm=ALGORITHM).key
        self._keys = keys


def jwks_verifier(settings: ServiceSettings) -> TokenVerifier:
    """The verifier every service but the issuer uses: the issuer's JWKS over HTTP, and
    API keys checked by the issuer's key check on the same host (cached a few seconds)."""
    return TokenVerifier(
        http_jwks_fetcher(settings.jwks_url),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        api_keys=KeyVerifier(http_key_lookup(verify_url(settings.jwks_url))),
    )
