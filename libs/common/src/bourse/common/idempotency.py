"""``Idempotency-Key`` for mutations: a repeat with the same key and body returns the first
answer and changes nothing; the same key with another body is a 422.

The key is claimed in the same transaction as the mutation (``INSERT ... ON CONFLICT``),
so two racing requests with one key cannot both apply: the loser waits on the row lock and
then sees the stored answer.

A route reads the header (:data:`IdempotencyKey`), makes an :class:`Idempotency` of it
(:func:`idempotency_of`) and its use case runs the mutation through :func:`once`. What a
repeat is answered with is the route's choice: :func:`replay` (the stored answer, marked
``Idempotent-Replay``) or the stored body as its usual answer.
"""

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, StringConstraints, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy import Column, DateTime, Integer, String, Table, Uuid, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bourse.common.db import new_metadata
from bourse.common.errors import Problem

T = TypeVar("T")

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
IdempotencyKey = Annotated[str | None, Header(alias=IDEMPOTENCY_HEADER, max_length=MAX_KEY_LENGTH)]


_KEY = TypeAdapter(Annotated[str, StringConstraints(max_length=MAX_KEY_LENGTH)])


def idempotency_key_of(request: Request) -> str | None:
    """The ``Idempotency-Key`` header as :data:`IdempotencyKey` reads it, for a route
    FastAPI does not solve parameters for (:mod:`bourse.common.direct`)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    try:
        return _KEY.validate_python(key)
    except ValidationError as exc:
        errors = [{**error, "loc": ("header", IDEMPOTENCY_HEADER)} for error in exc.errors()]
        raise RequestValidationError(errors) from exc


metadata = new_metadata()

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", Uuid(), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


@dataclass(frozen=True)
class Idempotency(Generic[T]):
    """An Idempotency-Key, the fingerprint of the request that carried it, and the answer
    to remember for the mutation's result: its status code and its JSON (``render``)."""

    key: str
    fingerprint: str
    status_code: int
    render: Callable[[T], Any]


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession, user_id: UUID, key: str, fingerprint: str
) -> StoredResponse | None:
    """Claim ``key`` for this request inside the caller's transaction. Returns the stored
    answer when the key was used before with the same request (replay)."""
    if not key or len(key) > 255:
        raise Problem(422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 characters")
    inserted = await session.scalar(
        insert(idempotency_keys)
        .values(user_id=user_id, key=key, request_hash=fingerprint)
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    if inserted is not None:
        return None
    row = (
        await session.execute(
            select(idempotency_keys)
            .where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
            .with_for_update()
        )
    ).one()
    if row.request_hash != fingerprint:
        raise Problem(
            422, "idempotency_key_reused", "this Idempotency-Key was used for another request"
        )
    if row.status_code is None:
        raise Problem(
            409, "request_in_progress", "a request with this Idempotency-Key is in progress"
        )
    return StoredResponse(row.status_code, row.response)


async def remember(
    session: AsyncSession, user_id: UUID, key: str, status_code: int, body: Any
) -> None:
    await session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.user_id == user_id, idempotency_keys.c.key == key)
        .values(status_code=status_code, response=body)
    )


def idempotency_of(
    request: Request,
    key: str | None,
    body: BaseModel | None,
    status_code: int,
    render: Callable[[T], Any] = to_jsonable_python,
    *,
    exclude_unset: bool = False,
) -> Idempotency[T] | None:
    """The request's Idempotency-Key (``None`` without one), fingerprinted by its method,
    path and ``body`` (the fields it sets, with ``exclude_unset``). A repeat is answered
    ``status_code`` with ``render`` of the result (by default the result as JSON)."""
    if key is None:
        return None
    payload = None if body is None else body.model_dump(mode="json", exclude_unset=exclude_unset)
    fingerprint = request_hash(request.method, request.url.path, payload)
    return Idempotency(key, fingerprint, status_code, render)


async def once(
    session: AsyncSession,
    user_id: UUID,
    idempotency: Idempotency[T] | None,
    apply: Callable[[AsyncSession], Awaitable[T]],
) -> T | StoredResponse:
    """Run ``apply`` in the caller's transaction, once per key: a repeat of the key with
    the same request gets the stored first answer instead (see :func:`claim`)."""
    if idempotency is None:
        return await apply(session)
    stored = await claim(session, user_id, idempotency.key, idempotency.fingerprint)
    if stored is not None:
        return stored
    result = await apply(session)
    body = idempotency.render(result)
    await remember(session, user_id, idempotency.key, idempotency.status_code, body)
    return result


def replay(stored: StoredResponse) -> Response:
    """The first answer to a repeated Idempotency-Key, marked ``Idempotent-Replay``."""
    headers = {"Idempotent-Replay": "true"}
    if stored.status_code == 204:
        return Response(status_code=204, headers=headers)
    return JSONResponse(stored.body, status_code=stored.status_code, headers=headers)
