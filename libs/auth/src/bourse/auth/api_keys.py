"""API keys, where every service checks them: :class:`KeyVerifier` asks user-service (the
only owner of the keys) who a key belongs to, and remembers the answer for ``ttl`` seconds
(5 by default), refusals too. So a request pays the round trip at most once per ``ttl``
per key per process, and a revoked key stops working everywhere within ``ttl`` (plus the
WebSocket re-check interval for open sockets, bourse.auth.websocket).

The secret is never kept as a cache key: entries are keyed by the key id and the SHA-256
of the secret, so a memory dump of the cache (or a repr) holds nothing that authenticates.
"""

import asyncio
import hashlib
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bourse.auth.principal import ALL_SCOPES, Principal
from bourse.common.errors import Problem

KEY_ID_HEADER = "X-Bourse-Key-Id"
KEY_SECRET_HEADER = "X-Bourse-Key-Secret"
VERIFY_PATH = "/internal/api-keys/verify"  # user-service; nginx does not route /internal
CACHE_SECONDS = 5.0
REMEMBERED = 20_000  # cached answers kept at most (least recently used goes first)
_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SECRET = re.compile(r"[\x21-\x7e]{1,256}")  # printable ASCII, no spaces


@dataclass(frozen=True)
class KeyRefusal:
    """user-service's "no" to a key: 401 (unknown, revoked, wrong secret) or 429
    (too many failed attempts), as a value that can be cached and raised many times."""

    status: int
    code: str
    detail: str
    retry_after: str | None = None

    @classmethod
    def of(cls, problem: Problem) -> "KeyRefusal":
        retry_after = (problem.headers or {}).get("Retry-After")
        return cls(problem.status, problem.code, problem.detail, retry_after)

    @property
    def definitive(self) -> bool:
        """The key itself is refused (a 429 says nothing about the key)."""
        return self.status == 401

    def problem(self) -> Problem:
        headers = {"Retry-After": self.retry_after} if self.retry_after else None
        if self.status == 401:
            headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
        return Problem(self.status, self.code, self.detail, headers=headers)


KeyOutcome = Principal | KeyRefusal
# (key_id, secret, client address) -> the key's principal or a refusal. Raises
# KeyLookupError when no answer could be had (user-service unreachable).
KeyLookup = Callable[[str, str, str | None], Awaitable[KeyOutcome]]


class KeyLookupError(Exception):
    pass


def invalid_api_key(detail: str = "unknown, revoked or wrong API key") -> KeyRefusal:
    return KeyRefusal(401, "invalid_api_key", detail)


def key_principal(user_id: uuid.UUID, roles: Any, scopes: Any, key_id: str) -> Principal:
    return Principal(
        user_id,
        frozenset(str(r) for r in roles),
        scopes=frozenset(str(s) for s in scopes) & ALL_SCOPES,
        key_id=key_id,
    )


def well_formed(key_id: str, secret: str) -> bool:
    return bool(_KEY_ID.fullmatch(key_id) and _SECRET.fullmatch(secret))


def cache_key(key_id: str, secret: str) -> tuple[str, bytes]:
    return key_id, hashlib.sha256(secret.encode()).digest()


class KeyVerifier:
    def __init__(
        self,
        lookup: KeyLookup,
        *,
        ttl: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        remembered: int = REMEMBERED,
    ) -> None:
        self._lookup = lookup
        self.ttl = ttl
        self._clock = clock
        self._remembered = remembered
        self._answers: OrderedDict[tuple[str, bytes], tuple[float, KeyOutcome]] = OrderedDict()
        self._asking: dict[tuple[str, bytes], asyncio.Future[KeyOutcome]] = {}

    async def verify(self, key_id: str, secret: str, client: str | None = None) -> Principal:
        """The key's principal; raises a 401 / 429 :class:`Problem` (503 when user-service
        cannot be asked)."""
        outcome = await self.outcome(key_id, secret, client)
        if isinstance(outcome, KeyRefusal):
            raise outcome.problem()
        return outcome

    async def outcome(self, key_id: str, secret: str, client: str | None = None) -> KeyOutcome:
        if not well_formed(key_id, secret):
            return invalid_api_key("malformed API key")
        key = cache_key(key_id, secret)
        cached = self._answers.get(key)
        if cached is not None and cached[0] > self._clock():
            self._answers.move_to_end(key)
            return cached[1]
        asking = self._asking.get(key)
        if asking is None:  # one question in flight per key, however many requests wait
            asking = asyncio.ensure_future(self._ask(key, key_id, secret, client))
            asking.add_done_callback(_retrieved)  # its waiters may all have gone
            self._asking[key] = asking
        return await asyncio.shield(asking)

    async def _ask(
        self, key: tuple[str, bytes], key_id: str, secret: str, client: str | None
    ) -> KeyOutcome:
        try:
            outcome = await self._lookup(key_id, secret, client)
        except KeyLookupError as exc:
            raise Problem(503, "auth_unavailable", "API keys cannot be checked now") from exc
        finally:
            self._asking.pop(key, None)
        self._answers[key] = (self._clock() + self.ttl, outcome)
        self._answers.move_to_end(key)
        if len(self._answers) > self._remembered:
            self._answers.popitem(last=False)
        return outcome


def _retrieved(future: "asyncio.Future[KeyOutcome]") -> None:
    if not future.cancelled():
        future.exception()


def verify_url(jwks_url: str) -> str:
    """user-service's key check, on the host that serves the JWKS."""
    return str(httpx.URL(jwks_url).copy_with(path=VERIFY_PATH, query=None))


def http_key_lookup(url: str, timeout: float = 3.0) -> KeyLookup:
    """Ask user-service's ``POST /internal/api-keys/verify``."""

    async def lookup(key_id: str, secret: str, client: str | None) -> KeyOutcome:
        body = {"key_id": key_id, "secret": secret, "client": client}
        try:
            async with httpx.AsyncClient(timeout=timeout) as http:
                response = await http.post(url, json=body)
        except httpx.HTTPError as exc:
            raise KeyLookupError(str(exc)) from exc
        return _answer(response)

    return lookup


def _answer(response: httpx.Response) -> KeyOutcome:
    if response.status_code == 200:
        body = response.json()
        return key_principal(
            uuid.UUID(body["user_id"]), body["roles"], body["scopes"], body["key_id"]
        )
    if response.status_code in (401, 429):
        body = response.json()
        return KeyRefusal(
            response.status_code,
            str(body.get("code", "invalid_api_key")),
            str(body.get("detail", "")),
            response.headers.get("Retry-After"),
        )
    raise KeyLookupError(f"user-service answered {response.status_code}")
